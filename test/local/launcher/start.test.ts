/**
 * `npm start` leaves nothing behind: a start that fails after its Azurite is up stops it, a
 * start whose Azurite ports are taken says by whom and starts nothing, and SIGTERM on a running
 * stack stops every process it started. Runs the built launcher as npm start does, on Azurite's
 * usual ports (they must be free), with its data in a temporary folder.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { probe } from '../../../src/local/launcher/azurite';
import { MODELS_DIR, PROJECT_ROOT } from '../../../src/lib/paths';

const PORTS = [10000, 10001, 10002];
const START = path.join(PROJECT_ROOT, 'dist/src/local/launcher/start.js');

/** The processes whose command line names `dir` (Azurite is started with --location <dir>). */
function processesUsing(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function runStart(
  env: Record<string, string>,
  until?: RegExp,
): Promise<{ code: number | null; output: string; kill: () => void }> {
  const data = env.LOCAL_AZURITE_DATA;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [START, '--no-local-settings'], {
      env: { ...process.env, AzureWebJobsStorage: '', PORT: '0', LOCAL_AZURITE_DATA: data, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (c: Buffer) => {
      output += c.toString();
      if (until?.test(output)) resolve({ code: null, output, kill: () => child.kill('SIGTERM') });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => resolve({ code, output, kill: () => undefined }));
  });
}

async function portsFree(): Promise<boolean[]> {
  return Promise.all(PORTS.map(async (p) => !(await probe(p))));
}

beforeAll(async () => {
  expect({ azuritePortsFree: await portsFree() }).toEqual({ azuritePortsFree: [true, true, true] });
});

it('stops its Azurite when the start fails after it (here: the model cannot be fetched)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'start-fail-'));
  const manifest = JSON.parse(
    readFileSync(path.join(MODELS_DIR, 'mobilenetv2-12-int8.json'), 'utf8'),
  ) as Record<string, string>;
  manifest.url = 'http://127.0.0.1:9/missing.onnx';
  manifest.labels = path.join(MODELS_DIR, manifest.labels);
  writeFileSync(path.join(dir, 'm.json'), JSON.stringify(manifest));
  const data = path.join(dir, 'azurite');
  const run = await runStart({
    LOCAL_AZURITE_DATA: data,
    CLASSIFIER_MODEL: path.join(dir, 'm.json'),
    MODEL_CACHE_DIR: dir,
  });
  expect(run.code).toBe(1);
  expect(run.output).toMatch(/Azurite: blob 10000/);
  expect(run.output).toMatch(/npm start failed: Could not download model/);
  expect(await portsFree()).toEqual([true, true, true]);
  expect(processesUsing(data)).toEqual([]);
}, 60_000);

it('says who holds the usual Azurite ports and starts nothing beside it', async () => {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(10000, '127.0.0.1', resolve));
  try {
    const data = mkdtempSync(path.join(os.tmpdir(), 'start-taken-'));
    const run = await runStart({ LOCAL_AZURITE_DATA: data });
    expect(run.code).toBe(1);
    expect(run.output).toMatch(new RegExp(`ports are taken: 10000 \\(blob\\) by pid ${process.pid}: `));
    expect(run.output).toMatch(/UseDevelopmentStorage=true/);
    expect(processesUsing(data)).toEqual([]);
  } finally {
    server.close();
  }
  expect(await portsFree()).toEqual([true, true, true]);
}, 60_000);

it('stops everything it started on SIGTERM', async () => {
  const data = mkdtempSync(path.join(os.tmpdir(), 'start-term-'));
  const running = await runStart({ LOCAL_AZURITE_DATA: data }, /Press Ctrl-C to stop/);
  expect(running.code).toBeNull(); // up
  expect(processesUsing(data).length).toBeGreaterThan(0); // its Azurite
  const stopped = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      void portsFree().then((free) => {
        if (processesUsing(data).length === 0 && free.every(Boolean)) {
          clearInterval(check);
          resolve();
        }
      });
    }, 200);
  });
  running.kill();
  await stopped;
}, 90_000);
