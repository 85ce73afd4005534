/**
 * `classify submit <dir>` against the local stack: one upload job for a folder, results
 * written by the --out extension, exit codes, and a rerun after an interruption that skips
 * the files whose content already has a result.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as img from '../support/images';
import { eventually, useLocalStack } from '../support/stack';
import { DEV_DIR, devFiles, getJobView, parseJsonl } from './jobApi';

const stack = useLocalStack();
const BIN = path.resolve(__dirname, '../../bin/classify.js');

function runCli(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<{ code: number; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.resume();
  const done = new Promise<{ code: number; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? -1 : 0), stderr })),
  );
  return { child, done };
}

function folderOf(files: string[], extra: Record<string, Buffer> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'submit-'));
  for (const f of files) copyFileSync(path.join(DEV_DIR, f), path.join(dir, f));
  for (const [name, bytes] of Object.entries(extra)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), bytes);
  }
  return dir;
}

/**
 * A front door between the CLI and the app (or storage) that fails requests as a busy, flaky or
 * vanished service does: `decide` answers 'pass', a status to answer with, 'drop' (the
 * connection, unanswered) or 'lose' (pass the request on, then drop the connection: the answer
 * is lost). `rewrite` may change an answer's body on its way back.
 */
async function frontDoor(
  decide: (req: IncomingMessage, counts: Record<string, number>) => 'pass' | 'drop' | 'lose' | number,
  options: { target?: () => string; rewrite?: (req: IncomingMessage, body: Buffer) => Buffer } = {},
): Promise<{ url: string; failed(): number; close(): Promise<void> }> {
  const counts: Record<string, number> = { uploads: 0, polls: 0, puts: 0 };
  let failed = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const verdict = decide(req, counts);
      if (verdict !== 'pass') failed++;
      if (verdict === 'drop') return void req.socket.destroy();
      if (typeof verdict === 'number') return void res.writeHead(verdict).end();
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
      ) as Record<string, string>;
      const answer = await fetch(`${(options.target ?? (() => stack.url))()}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await answer.arrayBuffer());
      if (verdict === 'lose') return void req.socket.destroy();
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
      res.end(options.rewrite ? options.rewrite(req, body) : body);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failed: () => failed,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('classify submit', () => {
  it('uploads a folder as one job and writes every result, exit 1 when some failed', async () => {
    const files = devFiles(20);
    const dir = folderOf(files, {
      'notes.txt': Buffer.from('hello'),
      'broken/half.jpg': await img.truncatedJpeg(),
      'copies/same.jpg': readFileSync(path.join(DEV_DIR, files[0])),
    });
    const out = path.join(dir, '..', `${path.basename(dir)}.jsonl`);
    const { code, stderr } = await runCli(['submit', dir, '--api', stack.url, '--out', out], dir).done;
    expect(stderr).toMatch(/21 succeeded, 2 failed of 23 \(21 uploaded/);
    expect(code).toBe(1);
    const results = parseJsonl(readFileSync(out, 'utf8'));
    expect(results).toHaveLength(23);
    const byFile = new Map(results.map((r) => [path.relative(dir, r.file!), r]));
    expect(byFile.get('notes.txt')).toMatchObject({
      status: 'failed',
      error: { code: 'unsupported_format' },
    });
    expect(byFile.get('broken/half.jpg')).toMatchObject({
      status: 'failed',
      error: { code: 'corrupt_image' },
    });
    expect(byFile.get('copies/same.jpg')).toMatchObject({
      status: 'succeeded',
      source: { name: 'same.jpg' },
    });
    expect(byFile.get('copies/same.jpg')!.predictions).toEqual(byFile.get(files[0])!.predictions);
    const jobId = /in job (\S+);/.exec(stderr)![1];
    expect(await getJobView(stack, jobId)).toMatchObject({
      status: 'succeeded',
      total: 21,
      succeeded: 20,
      failed: 1,
    });
  }, 60_000);

  it('writes CSV for a .csv output, exit 0 when all succeeded, and a rerun uploads nothing', async () => {
    const dir = folderOf(devFiles(25).slice(20));
    const out = path.join(dir, 'results.csv');
    const first = await runCli(['submit', dir, '--api', stack.url, '--out', out], dir).done;
    expect(first.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('file,name,status,label,score,errorCode,predictions');
    expect(lines).toHaveLength(6);
    const again = await runCli(['submit', dir, '--api', stack.url, '--out', out], dir).done;
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Skipping 5 file(s) already classified');
    expect(again.stderr).toContain('(0 uploaded, 5 already done)');
    expect(readFileSync(out, 'utf8').trimEnd().split('\r\n')).toHaveLength(6);
  }, 60_000);

  it('after an interruption, a rerun skips the files already done', async () => {
    const files = devFiles(130).slice(30);
    const dir = folderOf(files);
    const out = path.join(dir, '..', `${path.basename(dir)}-out.jsonl`);
    const state = `${out}.state.json`;
    const first = runCli(['submit', dir, '--api', stack.url, '--out', out], dir);
    const jobId = await eventually('uploads recorded in the state file', async () => {
      if (!existsSync(state)) return undefined;
      const s = JSON.parse(readFileSync(state, 'utf8')) as { jobs: string[]; uploads: object };
      return Object.keys(s.uploads).length >= 20 ? s.jobs[0] : undefined;
    });
    first.child.kill('SIGKILL');
    await first.done;
    await eventually('the interrupted job to finish some images', async () => {
      const job = await getJobView(stack, jobId);
      return job.succeeded >= 10 ? job : undefined;
    });

    const rerun = await runCli(['submit', dir, '--api', stack.url, '--out', out], dir).done;
    expect(rerun.code).toBe(0);
    const skipped = Number(/(\d+) already done/.exec(rerun.stderr)![1]);
    const uploaded = Number(/(\d+) uploaded/.exec(rerun.stderr)![1]);
    expect(skipped).toBeGreaterThanOrEqual(10);
    expect(skipped + uploaded).toBe(files.length);
    const results = parseJsonl(readFileSync(out, 'utf8'));
    expect(results.map((r) => path.basename(r.file!)).sort()).toEqual([...files].sort());
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    expect((await getJobView(stack, jobId)).status).toBe('cancelled'); // the rerun closed the old job
  }, 90_000);

  it("fails a file the app refuses on its own, with the app's code, and classifies the rest", async () => {
    // This machine allows 30 MiB, the app its default 20 MiB: the app's POST /api/uploads refuses it.
    const files = devFiles(133).slice(130);
    const big = Buffer.concat([readFileSync(path.join(DEV_DIR, files[0])), Buffer.alloc(21 * 1024 * 1024)]);
    const dir = folderOf(files, { 'big.jpg': big });
    const out = path.join(dir, '..', `${path.basename(dir)}.jsonl`);
    const { code, stderr } = await runCli(['submit', dir, '--api', stack.url, '--out', out], dir, {
      CLASSIFIER_MAX_BYTES: String(30 * 1024 * 1024),
    }).done;
    expect(stderr).toMatch(/3 succeeded, 1 failed of 4 \(3 uploaded/);
    expect(code).toBe(1);
    const results = parseJsonl(readFileSync(out, 'utf8'));
    const byFile = new Map(results.map((r) => [path.basename(r.file!), r]));
    expect(byFile.get('big.jpg')).toMatchObject({ status: 'failed', error: { code: 'file_too_large' } });
    expect(byFile.get('big.jpg')!.error!.message).toMatch(/refused the upload.*413/);
    expect(files.map((f) => byFile.get(f)?.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // The job was announced for 4 and got 3: closed once those were done, not left waiting.
    const jobId = /in job (\S+);/.exec(stderr)![1];
    expect(await getJobView(stack, jobId)).toMatchObject({ status: 'cancelled', succeeded: 3, failed: 0 });
  }, 60_000);

  it('rides out an app that answers 503 or drops the connection now and then', async () => {
    const door = await frontDoor((req, n) => {
      if (req.method === 'POST' && req.url === '/api/uploads' && ++n.uploads % 3 === 1) return 503;
      if (req.method === 'GET' && /^\/api\/jobs\/[^/]+$/.test(req.url ?? '') && ++n.polls === 2)
        return 'drop';
      return 'pass';
    });
    try {
      const files = devFiles(139).slice(133);
      const dir = folderOf(files);
      const out = path.join(dir, '..', `${path.basename(dir)}.jsonl`);
      const { code, stderr } = await runCli(['submit', dir, '--api', door.url, '--out', out], dir).done;
      expect(stderr).toMatch(/6 succeeded, 0 failed of 6 \(6 uploaded/);
      expect(code).toBe(0);
      expect(door.failed()).toBeGreaterThanOrEqual(3); // two of the six uploads' first tries, and a poll
      const results = parseJsonl(readFileSync(out, 'utf8'));
      expect(results.map((r) => r.status)).toEqual(files.map(() => 'succeeded'));
    } finally {
      await door.close();
    }
  }, 90_000);

  it.each([
    [
      'cannot be reached at all',
      'drop' as const,
      /Could not reach .*run the same command again to carry on/s,
      139,
    ],
    ['answers 503 to everything', 503, /answered 503.*run the same command again to carry on/s, 150],
  ])(
    'stops when the app %s, and a rerun carries on without losing a file',
    async (_, how, said, from) => {
      // After its fourth upload request the app is down (every request dropped or answered 503) until it is back.
      let down = false;
      let back = false;
      const door = await frontDoor((req, n) => {
        if (back) return 'pass';
        if (!down && req.method === 'POST' && req.url === '/api/uploads') down = ++n.uploads > 4;
        return down ? how : 'pass';
      });
      const files = devFiles(from + 11).slice(from);
      const dir = folderOf(files);
      const out = path.join(dir, '..', `${path.basename(dir)}.jsonl`);
      try {
        const first = await runCli(['submit', dir, '--api', door.url, '--out', out], dir).done;
        expect(first.code).toBe(1);
        expect(first.stderr).toMatch(said);
        const { jobs } = JSON.parse(readFileSync(`${out}.state.json`, 'utf8')) as { jobs: string[] };
        expect(jobs).toHaveLength(1);

        back = true;
        const rerun = await runCli(['submit', dir, '--api', door.url, '--out', out], dir).done;
        expect(rerun.stderr).toMatch(/11 succeeded, 0 failed of 11/);
        expect(rerun.code).toBe(0);
        const results = parseJsonl(readFileSync(out, 'utf8'));
        expect(results.map((r) => path.basename(r.file!)).sort()).toEqual([...files].sort());
        expect(results.every((r) => r.status === 'succeeded')).toBe(true);
        expect((await getJobView(stack, jobs[0])).status).toBe('cancelled'); // the rerun closed it
      } finally {
        await door.close();
      }
    },
    90_000,
  );

  it('counts a PUT whose answer was lost as uploaded once the app has seen its blob', async () => {
    // Storage takes the second PUT but its answer never comes back; the retry is refused (the
    // SAS creates only, and the blob is there), so the CLI asks the app whether it arrived.
    let blobOrigin = '';
    const storage = await frontDoor((req, n) => (req.method === 'PUT' && ++n.puts === 2 ? 'lose' : 'pass'), {
      target: () => blobOrigin,
    });
    const app = await frontDoor(() => 'pass', {
      rewrite: (req, body) => {
        if (req.url !== '/api/uploads') return body;
        const ticket = JSON.parse(body.toString()) as { uploadUrl: string };
        const url = new URL(ticket.uploadUrl);
        blobOrigin = url.origin;
        return Buffer.from(
          JSON.stringify({ ...ticket, uploadUrl: ticket.uploadUrl.replace(url.origin, storage.url) }),
        );
      },
    });
    try {
      const files = devFiles(166).slice(161);
      const dir = folderOf(files);
      const out = path.join(dir, '..', `${path.basename(dir)}.jsonl`);
      const { code, stderr } = await runCli(['submit', dir, '--api', app.url, '--out', out], dir).done;
      expect(storage.failed()).toBe(1);
      expect(stderr).toMatch(/5 succeeded, 0 failed of 5 \(5 uploaded/);
      expect(code).toBe(0);
      const jobId = /in job (\S+);/.exec(stderr)![1];
      expect(await getJobView(stack, jobId)).toMatchObject({ status: 'succeeded', total: 5, succeeded: 5 });
    } finally {
      await Promise.all([app.close(), storage.close()]);
    }
  }, 90_000);

  it('exits 2 for a usage error', async () => {
    const { code, stderr } = await runCli(['submit', '/no/such/dir', '--api', stack.url], tmpdir()).done;
    expect(code).toBe(2);
    expect(stderr).toContain('Not a directory');
    expect((await runCli(['submit', tmpdir(), '--api', 'ftp://x'], tmpdir()).done).code).toBe(2);
  });
});
