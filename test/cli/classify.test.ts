/** The `classify` command as users run it: a child process, real files, exit codes. */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { PHOTOS } from '../support/images';

const BIN = path.resolve(__dirname, '../../bin/classify.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function classify(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      maxBuffer: 1 << 24,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'classify-cli-'));
const notAnImage = path.join(dir, 'notes.jpg');
writeFileSync(notAnImage, 'this is text, not a JPEG');

describe('npx classify', () => {
  it("prints the README's example as the README shows it, on this CPU (timings aside)", async () => {
    // The README's first CLI block: the command, then its output.
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const block = /## The CLI\n+```\n\$ npx classify ([^\n]+)\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const [, args, shown] = block!;
    const run = await promisify(execFile)(process.execPath, [BIN, ...args.split(' ')], {
      cwd: path.resolve(__dirname, '../..'),
    });
    const withoutTimings = (text: string): string => text.replace(/, \d+ ms\)/g, ', … ms)').trim();
    expect(withoutTimings(run.stdout)).toBe(withoutTimings(shown));
  });

  it('prints a readable top-5 table for a folder and exits 0', async () => {
    const run = await classify(PHOTOS);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /chelsea\.png +\(451x300 PNG, \d+ ms\)\n +\d+\.\d% {2}(Egyptian|tabby|tiger) cat/,
    );
    expect(run.stdout).toMatch(/coffee\.png[^\n]*\n +\d+\.\d% {2}espresso/);
    expect(run.stdout.match(/^ +\d+\.\d% {2}/gm)).toHaveLength(25);
  });

  it('prints one JSON array of contract results with --json', async () => {
    const run = await classify(path.join(PHOTOS, 'coffee.png'), notAnImage, '--json');
    expect(run.code).toBe(1);
    const results = JSON.parse(run.stdout) as { file: string; status: string; error?: { code: string } }[];
    expect(results.map((r) => [r.file, r.status, r.error?.code])).toEqual([
      [path.join(PHOTOS, 'coffee.png'), 'succeeded', undefined],
      [notAnImage, 'failed', 'unsupported_format'],
    ]);
  });

  it('streams JSON lines with --jsonl and honours --top', async () => {
    const run = await classify(path.join(PHOTOS, 'rocket.jpg'), '--jsonl', '--top', '3');
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { predictions: unknown[] });
    expect(lines).toHaveLength(1);
    expect(lines[0].predictions).toHaveLength(3);
  });

  it('writes CSV to --out and still reports the failure by exit code', async () => {
    const out = path.join(dir, 'results.csv');
    const run = await classify(notAnImage, path.join(PHOTOS, 'chelsea.png'), '--csv', '--out', out);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const rows = readFileSync(out, 'utf8').trim().split('\r\n');
    expect(rows[0]).toBe('file,name,status,label,score,errorCode,predictions');
    expect(rows[1]).toBe(`${notAnImage},notes.jpg,failed,,,unsupported_format,`);
    expect(rows[2]).toMatch(/chelsea\.png,succeeded,[^,]*cat[^,]*,0\.\d+,,"\[\{""label""/);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [[], /Give at least one file or directory/],
    [[PHOTOS, '--top', '0'], /Expected an integer between 1 and 1000 for --top but received '0'/],
    [['replay-poison', '--max', '1.5'], /Expected an integer of at least 1 for --max but received '1.5'/],
    [['submit', PHOTOS, '--api', 'ftp://x'], /--api must be an http\(s\) URL/],
    [[PHOTOS, '--json', '--csv'], /Choose one output format/],
    [['/no/such/place'], /No such file or directory: \/no\/such\/place/],
    [[PHOTOS, '--model', 'nope'], /No model manifest "nope"/],
  ])('exits 2 with a hint for a usage error: %j', async (args, message) => {
    const run = await classify(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('classifies a few hundred files named one by one, as a shell glob names them', async () => {
    // About 40 kB of arguments: onnxruntime's telemetry ran regexes over the command line
    // and overflowed the inference thread's stack (a segfault before any result).
    const deep = path.join(dir, 'a-folder-with-a-long-name-'.repeat(6));
    mkdirSync(deep);
    const files = Array.from({ length: 250 }, (_, i) => path.join(deep, `tiny-${i}.png`));
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
      .png()
      .toBuffer();
    for (const f of files) writeFileSync(f, tiny);
    const run = await classify(...files, '--jsonl', '--top', '1');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(files.length);
  });

  it('prints help and exits 0', async () => {
    const run = await classify('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('npx classify <file|dir>...');
  });
});
