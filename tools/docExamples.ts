/**
 * `npm run examples`: every shell example in README.md and docs/*.md, run as written in a new
 * shell against `npm start`, so a command the docs give cannot quietly stop working.
 *
 * Which blocks run: a fenced `sh` block, and any fenced block whose first line starts with
 * `$ ` (a transcript: commands after `$ `, what they print below them). Each file gets one
 * bash, its blocks in order (a variable set in one block is there in the next, as for a
 * reader who follows the page), started in the project's folder with ../shared beside it.
 *
 * What is checked:
 * - every command exits 0, except one followed by `$ echo $?`, which must exit with what that
 *   prints; `curl` fails on an HTTP error (`--fail-with-body`), so a 4xx is not a pass;
 * - what a command prints, as the block shows it: each line shown must appear, in order, in
 *   what it printed. `…` stands for anything, and so do timings (`12 ms`, `"inferMs":11.5`)
 *   and ids shown as `bb43e495-…`. Lines of JSON wrapped for the page are found one by one.
 *   In an `sh` block, `# ` lines right under a command (no blank line between) are its output;
 *   other comments are prose.
 *
 * A block that cannot run here says why, on the line before it: `<!-- example: skip: why -->`
 * (or `<!-- examples: skip-file: why -->` for a whole page, such as deploying to Azure);
 * `<!-- example: npm start -->` marks the transcript of `npm start`, checked against the
 * output of the one this runner starts. Files a page's examples create in the project's folder
 * are removed after that page, so each page starts as in a fresh clone; the storage is one
 * `npm start` for all of them, on a fresh Azurite data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/lib/paths';

interface Step {
  /** The command as written (continuation lines joined by newlines). */
  command: string;
  /** The lines the docs show it printing. */
  expected: string[];
  /** The exit status the docs imply. */
  status: number;
}

interface Block {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  steps: Step[];
  skip?: string;
  npmStart?: boolean;
}

const MARKER = /<!--\s*examples?:\s*(skip-file|skip|npm start)\s*:?\s*(.*?)\s*-->/;

export function parseBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const fileSkip = lines.map((l) => MARKER.exec(l)).find((m) => m?.[1] === 'skip-file');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    const transcript = body[0]?.startsWith('$ ') ?? false;
    if (fence[1] !== 'sh' && !transcript) continue;
    const marker = [lines[start - 1], lines[start - 2]].map((l) => (l ? MARKER.exec(l) : null)).find(Boolean);
    blocks.push({
      file,
      line: start + 1,
      steps: transcript ? transcriptSteps(body) : shSteps(body),
      skip: fileSkip ? fileSkip[2] : marker?.[1] === 'skip' ? marker[2] || 'no reason given' : undefined,
      npmStart: marker?.[1] === 'npm start',
    });
  }
  return blocks;
}

function transcriptSteps(body: string[]): Step[] {
  const steps: Step[] = [];
  let continued = false;
  for (const line of body) {
    const current = steps.at(-1);
    if (continued && current) {
      current.command += `\n${line}`;
    } else if (line.startsWith('$ ')) {
      steps.push({ command: line.slice(2), expected: [], status: 0 });
    } else if (current) {
      current.expected.push(line);
    }
    continued = /\\$/.test(steps.at(-1)?.command ?? '') && !line.startsWith('#');
  }
  return withStatuses(steps);
}

function shSteps(body: string[]): Step[] {
  const steps: Step[] = [];
  let previous: 'blank' | 'prose' | 'command' | 'output' = 'blank';
  for (const line of body) {
    const current = steps.at(-1);
    if (previous === 'command' && current && /\\$/.test(current.command)) {
      current.command += `\n${line}`;
    } else if (line.trim() === '') {
      previous = 'blank';
      continue;
    } else if (line.startsWith('#')) {
      if ((previous === 'command' || previous === 'output') && current) {
        current.expected.push(line.replace(/^#\s?/, ''));
        previous = 'output';
      } else previous = 'prose';
      continue;
    } else {
      steps.push({ command: line, expected: [], status: 0 });
    }
    previous = 'command';
  }
  return withStatuses(steps);
}

/** A command followed by `echo $?` is expected to exit with what that prints. */
function withStatuses(steps: Step[]): Step[] {
  steps.forEach((step, i) => {
    const next = steps[i + 1];
    if (next?.command.trim() === 'echo $?' && /^\d+$/.test(next.expected[0] ?? '')) {
      step.status = Number(next.expected[0]);
      next.expected = [next.expected[0]];
    }
  });
  return steps;
}

/** A line as the docs show it, as a pattern for what was printed. */
export function linePattern(shown: string): RegExp {
  const wildcard = '\u0000';
  const source = shown
    .replace(/[0-9a-f]{8}-…/g, wildcard)
    .replace(/"(\w+Ms)":[\d.]+/g, `"$1":${wildcard}`)
    .replace(/\b\d+(\.\d+)? ms\b/g, `${wildcard} ms`)
    .replace(/…/g, wildcard)
    .trim()
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\s+/g, '\\s+')
    .replaceAll(wildcard, '[^\\n]*?');
  return new RegExp(source, 'g');
}

/** The first shown line not found in order in `printed`, or undefined when all are. */
export function missingLine(shown: string[], printed: string): string | undefined {
  let from = 0;
  for (const line of shown) {
    // A progress bar is drawn only on a terminal; the runner's output is a file.
    if (line.trim() === '' || line.startsWith('█')) continue;
    const pattern = linePattern(line);
    pattern.lastIndex = from;
    const match = pattern.exec(printed);
    if (!match) return line;
    from = match.index + match[0].length;
  }
  return undefined;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** One bash script per file: each step's output and status to files, stopping at a wrong status. */
function script(blocks: Block[], dir: string): string {
  const out = [
    // `curl -s` shows nothing and exits 0 on a 404; in an example that is a failure.
    'curl() { command curl --fail-with-body "$@"; }',
    '__rc=0',
  ];
  let n = 0;
  for (const block of blocks)
    for (const step of block.steps) {
      const file = path.join(dir, String(n++));
      out.push(
        `( exit $__rc ); { ${step.command}\n} > ${shellQuote(file)}.out 2>&1; __rc=$?; echo $__rc > ${shellQuote(file)}.rc`,
        `[ "$__rc" = ${step.status} ] || exit 90`,
      );
    }
  return out.join('\n');
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

/** A new user's shell: none of this process's npm or app settings. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!/^(npm_|AzureWebJobs|CLASSIFIER_|LOCAL_|PORT$|INIT_CWD$)/.test(name)) env[name] = value;
  return env;
}

async function startServer(data: string): Promise<{ child: ChildProcess; output: () => string }> {
  // What `npm start` runs once it has built (`npm run examples` has just built), in its own
  // process group, so stopping it stops what it started.
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist/src/local/launcher/start.js')], {
    cwd: PROJECT_ROOT,
    env: { ...userEnv(), LOCAL_AZURITE_DATA: data },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start did not get ready in 180 s:\n${output}`)),
      180_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
  return { child, output: () => output };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
  clearTimeout(timer); // else it holds this process open for its 30 s
  if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
}

/** What a page's examples wrote in the project's folder goes, so the next page starts as a new reader would. */
function removeNewEntries(before: Set<string>): void {
  for (const entry of readdirSync(PROJECT_ROOT))
    if (!before.has(entry)) rmSync(path.join(PROJECT_ROOT, entry), { recursive: true, force: true });
}

async function main(): Promise<void> {
  const files = [
    'README.md',
    ...readdirSync(path.join(PROJECT_ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
  const blocks = files.flatMap((file) =>
    parseBlocks(file, readFileSync(path.join(PROJECT_ROOT, file), 'utf8')),
  );
  const before = new Set(readdirSync(PROJECT_ROOT));
  const work = mkdtempSync(path.join(os.tmpdir(), 'examples-'));
  const failures: string[] = [];
  const server = await startServer(path.join(work, 'azurite'));
  try {
    for (const block of blocks.filter((b) => b.npmStart)) {
      // This runner's Azurite keeps its data in a fresh folder; the docs show npm start's usual one.
      const printed = server.output().replaceAll(path.join(work, 'azurite'), '.azurite/');
      const missing = missingLine(block.steps[0]?.expected ?? [], printed);
      if (missing)
        failures.push(
          `${block.file}:${block.line}: npm start did not print: ${missing}\nIt printed:\n${printed}`,
        );
      else console.log(`ok   ${block.file}:${block.line}  npm start`);
    }
    for (const file of files) {
      const runnable = blocks.filter((b) => b.file === file && !b.skip && !b.npmStart);
      for (const b of blocks.filter((b) => b.file === file && b.skip))
        console.log(`skip ${b.file}:${b.line}  ${b.skip}`);
      if (runnable.length === 0) continue;
      const dir = mkdtempSync(path.join(work, 'steps-'));
      writeFileSync(path.join(dir, 'script.sh'), script(runnable, dir));
      const started = performance.now();
      await run('bash', [path.join(dir, 'script.sh')], userEnv(), 10 * 60_000);
      console.log(`     ${file}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
      removeNewEntries(before);
      let n = 0;
      for (const block of runnable) {
        const problems: string[] = [];
        for (const step of block.steps) {
          const base = path.join(dir, String(n++));
          if (!existsSync(`${base}.rc`)) {
            problems.push(`not run: ${step.command.split('\n')[0]}`);
            continue;
          }
          const status = Number(readFileSync(`${base}.rc`, 'utf8'));
          const printed = readFileSync(`${base}.out`, 'utf8');
          const missing = missingLine(step.expected, printed);
          if (status !== step.status)
            problems.push(
              `\`${step.command}\` exited ${status} (expected ${step.status}):\n${printed.slice(-1500)}`,
            );
          else if (missing)
            problems.push(
              `\`${step.command}\` did not print: ${missing}\nIt printed:\n${printed.slice(-3000)}`,
            );
        }
        if (problems.length === 0)
          console.log(`ok   ${block.file}:${block.line}  ${block.steps.length} commands`);
        else failures.push(`${block.file}:${block.line}: ${problems.join('\n')}`);
      }
    }
  } finally {
    await stopServer(server.child);
    removeNewEntries(before);
    rmSync(work, { recursive: true, force: true });
  }
  for (const failure of failures) console.error(`FAIL ${failure}\n`);
  const skipped = blocks.filter((b) => b.skip).length;
  console.log(
    `${blocks.length - skipped - failures.length} examples ok, ${failures.length} failed, ${skipped} skipped`,
  );
  process.exitCode = failures.length > 0 ? 1 : 0;
}

if (require.main === module)
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exitCode = 1;
  });
