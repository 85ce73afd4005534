/**
 * The local system for benchmarks that go through HTTP: a fresh in-memory Azurite and the app
 * started as `npm start` starts it (node dist/src/local/start.js, so build first), on a free
 * port. Shared by the benchmark modes; test/support/stack.ts does the same for Jest.
 *
 *   const app = await startLocalApp();
 *   await fetch(`${app.url}/api/health`);
 *   const { peakRssMb } = await app.stop();
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/lib/paths';
import { startAzurite } from '../src/local/azurite';

const START = path.join(PROJECT_ROOT, 'dist/src/local/start.js');
const START_TIMEOUT_MS = 60_000;

export interface LocalAppOptions {
  /** Extra environment for the app process (e.g. CLASSIFIER_MAX_BYTES). */
  env?: Record<string, string>;
}

export interface LocalApp {
  /** `http://localhost:<port>`, no trailing slash. */
  readonly url: string;
  /** When the app process was spawned (performance.now() of this process), for cold-start figures. */
  readonly spawnedAt: number;
  readonly pid: number;
  /** The Azurite account the app uses. */
  readonly connectionString: string;
  /** Stops the app, then Azurite; reports the app process's peak RSS, read just before it stopped. */
  stop(): Promise<{ peakRssMb: number }>;
}

export async function startLocalApp(options: LocalAppOptions = {}): Promise<LocalApp> {
  const azurite = await startAzurite({ inMemoryPersistence: true });
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [START], {
    // AzureWebJobsStorage set: start.js uses this Azurite instead of starting its own.
    env: { ...process.env, ...options.env, AzureWebJobsStorage: azurite.connectionString, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The app did not start in 60 s:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-20_000);
      const m = /Upload page: +(http:\/\/localhost:\d+)\//.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The app exited with ${code} while starting:\n${output}`));
    });
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await azurite.stop();
    throw err;
  });
  child.removeAllListeners('exit');
  // Keep draining the app's log (one line per request) so a full pipe never stalls it.
  child.stdout.resume();
  child.stderr.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    spawnedAt,
    pid: child.pid!,
    connectionString: azurite.connectionString,
    async stop() {
      const peakRssMb = Math.round(peakRssKb(child.pid!) / 1024);
      child.kill('SIGTERM');
      await exited;
      await azurite.stop();
      return { peakRssMb };
    },
  };
}

/** VmHWM: the kernel's high-water mark of the process's resident set (proc(5)), in kB. */
function peakRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}
