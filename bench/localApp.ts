/**
 * The local system for benchmarks that go through HTTP: a fresh in-memory Azurite and the app
 * started as `npm start` starts it (src/local/launcher/appProcess.ts, so build first), on a free port.
 *
 *   const app = await startLocalApp();
 *   await fetch(`${app.url}/api/health`);
 *   const { peakRssMb } = await app.stop();
 */
import { cpuMsOf, treeCpuMs, treeRssKb } from './procTree';
import type { UploadTicket } from '../src/lib/uploads/createUpload';
import { createInterface } from 'node:readline';
import { spawnApp, stopApp } from '../src/local/launcher/appProcess';
import { startAzurite } from '../src/local/launcher/azurite';

export interface LocalAppOptions {
  /** Extra environment for the app process (e.g. CLASSIFIER_MAX_BYTES). */
  env?: Record<string, string>;
  /** Azurite's debug log, to count storage requests (bench/requestLog.ts). */
  azuriteDebugLog?: string;
  /** Azurite's data folder, when the run starts from data already there (default: in memory). */
  azuriteLocation?: string;
}

export interface LocalApp {
  /** `http://localhost:<port>`, no trailing slash. */
  readonly url: string;
  /** When the app process was spawned (performance.now() of this process), for cold-start figures. */
  readonly spawnedAt: number;
  readonly pid: number;
  /** The Azurite account the app uses. */
  readonly connectionString: string;
  /**
   * CPU time used so far, ms (user + system, from /proc): the app process less the Event Grid
   * stand-in's lister threads, those threads, and Azurite.
   */
  cpuMs(): { app: number; azurite: number; standIn: number };
  /** Function invocations the app has logged so far. */
  executions(): number;
  /** Stops the app, then Azurite; reports the peak memory (Pss, sampled every 100 ms) of the app and its decoder process. */
  stop(): Promise<{ peakRssMb: number }>;
}

export async function startLocalApp(options: LocalAppOptions = {}): Promise<LocalApp> {
  const azurite = await startAzurite({
    inMemoryPersistence: !options.azuriteLocation,
    location: options.azuriteLocation,
    debugLog: options.azuriteDebugLog,
  });
  const spawnedAt = performance.now();
  const { child, url } = await spawnApp({
    connectionString: azurite.connectionString,
    env: options.env,
  }).catch(async (err: unknown) => {
    await azurite.stop();
    throw err;
  });
  const pid = child.pid!; // spawned: a pid exists
  // The app and its decoder process together, sampled: their Pss (shared pages once), as no
  // kernel figure keeps the peak of a process tree.
  let peakKb = 0;
  const sampler = setInterval(() => (peakKb = Math.max(peakKb, treeRssKb(pid))), 100);
  sampler.unref();
  // Keep draining the app's log so a full pipe never stalls it, counting the invocations it reports
  // ("Executed 'Functions.<name>' (...)", one per invocation, as the host logs them).
  let executions = 0;
  const listerThreads: number[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.includes("Executed 'Functions.")) executions++;
    const lister = /\(lister thread (\d+)\)/.exec(line);
    if (lister) listerThreads.push(Number(lister[1]));
  });
  // The Event Grid stand-in's listing runs on threads of its own: Event Grid's work in Azure, not the app's.
  const standInMs = (): number => listerThreads.reduce((sum, tid) => sum + cpuMsOf(pid, tid), 0);
  child.stderr.resume();
  return {
    url,
    spawnedAt,
    pid,
    connectionString: azurite.connectionString,
    cpuMs: () => {
      const standIn = standInMs();
      return { app: treeCpuMs(pid) - standIn, azurite: cpuMsOf(azurite.pid), standIn };
    },
    executions: () => executions,
    async stop() {
      clearInterval(sampler);
      const peakRssMb = Math.round(Math.max(peakKb, treeRssKb(pid)) / 1024);
      await stopApp(child);
      await azurite.stop();
      return { peakRssMb };
    },
  };
}

type CpuReading = ReturnType<LocalApp['cpuMs']>;

/** CPU ms per image of the app, Azurite and the Event Grid stand-in between two cpuMs() readings. */
export function cpuMsPerImage(before: CpuReading, after: CpuReading, images: number): CpuReading {
  const per = (key: keyof CpuReading): number => Math.round(((after[key] - before[key]) / images) * 10) / 10;
  return { app: per('app'), azurite: per('azurite'), standIn: per('standIn') };
}

/** "app 33 ms + Azurite 17 ms CPU per image (Event Grid stand-in 1 ms)" between two cpuMs() readings. */
export function cpuPerImage(before: CpuReading, after: CpuReading, images: number): string {
  const cpu = cpuMsPerImage(before, after, images);
  return `CPU per image: app ${Math.round(cpu.app)} ms + Azurite ${Math.round(cpu.azurite)} ms (Event Grid stand-in ${Math.round(cpu.standIn)} ms)`;
}

/** POST /api/uploads, then the PUT to the SAS URL, as the page does; the ticket. */
export async function postAndPut(baseUrl: string, fileName: string, bytes: Buffer): Promise<UploadTicket> {
  const res = await fetch(`${baseUrl}/api/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fileName, contentType: 'image/jpeg', size: bytes.length }),
  });
  const ticket = (await res.json()) as UploadTicket;
  const put = await fetch(ticket.uploadUrl, {
    method: 'PUT',
    headers: ticket.headers,
    body: new Uint8Array(bytes),
  });
  if (put.status !== 201) throw new Error(`PUT answered ${put.status}`);
  return ticket;
}
