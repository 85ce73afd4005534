/**
 * The local system for benchmarks that go through HTTP: a fresh in-memory Azurite and the app
 * started as `npm start` starts it (src/local/appProcess.ts, so build first), on a free port.
 *
 *   const app = await startLocalApp();
 *   await fetch(`${app.url}/api/health`);
 *   const { peakRssMb } = await app.stop();
 */
import { readFileSync } from 'node:fs';
import { spawnApp, stopApp } from '../src/local/appProcess';
import { startAzurite } from '../src/local/azurite';

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
  const { child, url } = await spawnApp({
    connectionString: azurite.connectionString,
    env: options.env,
  }).catch(async (err: unknown) => {
    await azurite.stop();
    throw err;
  });
  const pid = child.pid!; // spawned: a pid exists
  // Keep draining the app's log (one line per invocation) so a full pipe never stalls it.
  child.stdout.resume();
  child.stderr.resume();
  return {
    url,
    spawnedAt,
    pid,
    connectionString: azurite.connectionString,
    async stop() {
      const peakRssMb = Math.round(peakRssKb(pid) / 1024);
      await stopApp(child);
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
