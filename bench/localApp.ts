/**
 * The local system for benchmarks that go through HTTP: a fresh in-memory Azurite and the app
 * started as `npm start` starts it (src/local/launcher/appProcess.ts, so build first), on a free port.
 *
 *   const app = await startLocalApp();
 *   await fetch(`${app.url}/api/health`);
 *   const { peakRssMb } = await app.stop();
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { spawnApp, stopApp } from '../src/local/launcher/appProcess';
import { startAzurite } from '../src/local/launcher/azurite';

export interface LocalAppOptions {
  /** Extra environment for the app process (e.g. CLASSIFIER_MAX_BYTES). */
  env?: Record<string, string>;
  /** Azurite's debug log, to count storage requests (bench/requestLog.ts). */
  azuriteDebugLog?: string;
}

export interface LocalApp {
  /** `http://localhost:<port>`, no trailing slash. */
  readonly url: string;
  /** When the app process was spawned (performance.now() of this process), for cold-start figures. */
  readonly spawnedAt: number;
  readonly pid: number;
  /** The Azurite account the app uses. */
  readonly connectionString: string;
  /** CPU time used so far by the app and by Azurite, ms (user + system, from /proc). */
  cpuMs(): { app: number; azurite: number };
  /** Function invocations the app has logged so far. */
  executions(): number;
  /** Stops the app, then Azurite; reports the app process's peak RSS, read just before it stopped. */
  stop(): Promise<{ peakRssMb: number }>;
}

export async function startLocalApp(options: LocalAppOptions = {}): Promise<LocalApp> {
  const azurite = await startAzurite({ inMemoryPersistence: true, debugLog: options.azuriteDebugLog });
  const spawnedAt = performance.now();
  const { child, url } = await spawnApp({
    connectionString: azurite.connectionString,
    env: options.env,
  }).catch(async (err: unknown) => {
    await azurite.stop();
    throw err;
  });
  const pid = child.pid!; // spawned: a pid exists
  // Keep draining the app's log so a full pipe never stalls it, counting the invocations it reports
  // ("Executed 'Functions.<name>' (...)", one per invocation, as the host logs them).
  let executions = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.includes("Executed 'Functions.")) executions++;
  });
  child.stderr.resume();
  return {
    url,
    spawnedAt,
    pid,
    connectionString: azurite.connectionString,
    cpuMs: () => ({ app: cpuMsOf(pid), azurite: cpuMsOf(azurite.pid) }),
    executions: () => executions,
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

/** utime + stime of a process (proc(5), fields 14 and 15, in clock ticks of 10 ms on Linux). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU ms per image of the app and of Azurite between two cpuMs() readings. */
export function cpuMsPerImage(
  before: { app: number; azurite: number },
  after: { app: number; azurite: number },
  images: number,
): { app: number; azurite: number } {
  const per = (a: number, b: number): number => Math.round(((b - a) / images) * 10) / 10;
  return { app: per(before.app, after.app), azurite: per(before.azurite, after.azurite) };
}

/** "app 33 ms + Azurite 17 ms CPU per image" between two cpuMs() readings. */
export function cpuPerImage(
  before: { app: number; azurite: number },
  after: { app: number; azurite: number },
  images: number,
): string {
  const per = (a: number, b: number): number => Math.round((b - a) / images);
  return `CPU per image: app ${per(before.app, after.app)} ms + Azurite ${per(before.azurite, after.azurite)} ms`;
}
