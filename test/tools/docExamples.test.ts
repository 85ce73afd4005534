// How `npm run examples` reads the docs: which blocks run, what each command must print and
// exit with. The run itself (against npm start) is `npm run examples`, which CI calls.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { missingLine, parseBlocks } from '../../tools/docExamples';

const ROOT = path.resolve(__dirname, '../..');

describe('parseBlocks', () => {
  it('reads a transcript: commands after $, their output, continuation lines, and an exit status from echo $?', () => {
    const [block] = parseBlocks(
      'x.md',
      [
        '```',
        "$ printf 'x' > a.jpg && npx classify a.jpg \\",
        '    --jsonl',
        '{"status":"failed",…}',
        '$ echo $?',
        '1',
        '```',
      ].join('\n'),
    );
    expect(block.steps).toEqual([
      {
        command: "printf 'x' > a.jpg && npx classify a.jpg \\\n    --jsonl",
        expected: ['{"status":"failed",…}'],
        status: 1,
      },
      { command: 'echo $?', expected: ['1'], status: 0 },
    ]);
  });

  it('in an sh block, takes # lines right under a command as its output and other comments as prose', () => {
    const [block] = parseBlocks(
      'x.md',
      ['```sh', '# prose', 'a=1', '', '# more prose', 'echo "$a"', '# 1', '```'].join('\n'),
    );
    expect(block.steps).toEqual([
      { command: 'a=1', expected: [], status: 0 },
      { command: 'echo "$a"', expected: ['1'], status: 0 },
    ]);
  });

  it('leaves out blocks that are neither sh nor a transcript, and takes skip and npm start markers', () => {
    const blocks = parseBlocks(
      'x.md',
      [
        '```json',
        '{}',
        '```',
        '<!-- example: skip: needs Azure -->',
        '',
        '```sh',
        'azd up',
        '```',
        '<!-- example: npm start -->',
        '```',
        '$ npm start',
        'Press Ctrl-C to stop.',
        '```',
      ].join('\n'),
    );
    expect(blocks.map((b) => [b.line, b.skip, b.npmStart])).toEqual([
      [6, 'needs Azure', false],
      [10, undefined, true],
    ]);
  });

  it('finds the README and docs examples, every skipped one with its reason', () => {
    const files = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
      f.endsWith('.md'),
    );
    const blocks = files.flatMap((f) => parseBlocks(f, readFileSync(path.join(ROOT, f), 'utf8')));
    expect(blocks.filter((b) => !b.skip && !b.npmStart).length).toBeGreaterThanOrEqual(10);
    expect(blocks.filter((b) => b.skip === 'no reason given')).toEqual([]);
    expect(blocks.filter((b) => b.npmStart)).toHaveLength(1);
  });
});

describe('missingLine', () => {
  const printed =
    'red.png  (64x64 PNG, 18 ms)\n   65.3%  red\n{"id":"bb43e495-1c66-4405","timings":{"inferMs":11.5},"label":"tabby, tabby cat"}\n';

  it('matches lines in order, with … and timings as wildcards and runs of spaces as any space', () => {
    expect(
      missingLine(
        ['red.png  (64x64 PNG, 39 ms)', '65.3% red', '{"id":"bb43e495-…","timings":{"inferMs":2}'],
        printed,
      ),
    ).toBeUndefined();
    expect(missingLine(['"label":"tabby, tabby cat"', '…'], printed)).toBeUndefined();
  });

  it('names the first line not printed: a wrong score, a wrong label, or the right lines out of order', () => {
    expect(missingLine(['65.4% red'], printed)).toBe('65.4% red');
    expect(missingLine(['"label":"tiger cat"'], printed)).toBe('"label":"tiger cat"');
    expect(missingLine(['65.3% red', 'red.png'], printed)).toBe('red.png');
  });
});
