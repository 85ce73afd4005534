/**
 * The chaos run's own local system, loopback only: one Azurite with its data on disk, the
 * storage proxy (bench/chaos/storageProxy.ts) in front of it, and two app instances started as
 * `npm start` starts them, on one account, which the faults kill and restart.
 *
 * One Event Grid: instance 0 runs the local host's Event Grid stand-in (its BlobCreated and
 * BlobDeleted functions) and its timer; instance 1 has them disabled
 * (`AzureWebJobs.<name>.Disabled`). In Azure, Event Grid is one service whose subscription
 * sends each event to one instance; two stand-ins would each send every event (and share one
 * checkpoint). While instance 0 is down its events wait for it, as Event Grid's retries would
 * (its stand-in redelivers from its checkpoint on restart); queue work goes to whichever
 * instance is up.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { spawnApp } from '../../src/local/launcher/appProcess';
import { startAzurite, type RunningAzurite } from '../../src/local/launcher/azurite';
import { azuriteConnectionString } from '../../src/lib/storage/clients';
import { processTree, treeRssKb } from '../procTree';
import { startStorageProxy, type ProxyMode, type StorageProxy } from './storageProxy';

/** Functions only one instance runs: Event Grid is one service, and a timer is a singleton. */
const SINGLETONS = ['imagesBlobCreated', 'uploadsBlobCreated', 'imagesBlobDeleted', 'cleanupExpired'];

interface Instance {
  child?: ChildProcessWithoutNullStreams;
  url?: string;
  starting?: Promise<void>;
  peakKb: number;
  restarts: number;
  /** Lines the instance logged that say something went wrong, for the report. */
  errors: string[];
  crashes: string[];
}

export interface ChaosStack {
  /** The account as clients reach it (through the proxy). */
  connectionString: string;
  /** Base URLs of the instances up now. */
  liveUrls(): string[];
  killInstance(index: 0 | 1, downSeconds: number): Promise<void>;
  /** Kills one decoder process of the instance; false when it has none running. */
  killDecoder(index: 0 | 1): boolean;
  restartAzurite(downSeconds: number): Promise<void>;
  storageMode(mode: ProxyMode): void;
  /** Peak memory of each instance (its process and its decoder, Pss), MB. */
  peakMb(): number[];
  restarts(): number[];
  errorLines(): string[];
  /** Exits of an instance that no fault caused. */
  crashes(): string[];
  /** Why the hosts moved messages to poison queues, as they logged it, counted. */
  poisonCauses(): Record<string, number>;
  stop(): Promise<void>;
}

export interface ChaosStackOptions {
  /** Azurite's data folder. */
  location: string;
  env: Record<string, string>;
  /** Each instance's whole output goes to `<logPrefix><n>.log` (every start appends). */
  logPrefix: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startChaosStack(options: ChaosStackOptions): Promise<ChaosStack> {
  let azurite: RunningAzurite = await startAzurite({ location: options.location });
  const ports = { blobPort: azurite.blobPort, queuePort: azurite.queuePort, tablePort: azurite.tablePort };
  const proxy: StorageProxy = await startStorageProxy([ports.blobPort, ports.queuePort, ports.tablePort]);
  const [blobPort, queuePort, tablePort] = proxy.ports;
  const connectionString = azuriteConnectionString({ blobPort, queuePort, tablePort });
  const instances: Instance[] = [0, 1].map(() => ({ peakKb: 0, restarts: 0, errors: [], crashes: [] }));
  const poisonCauses: Record<string, number> = {};
  let stopping = false;
  const logs = [0, 1].map((n) => createWriteStream(`${options.logPrefix}${n}.log`));

  const envFor = (index: number): Record<string, string> => ({
    ...options.env,
    ...(index === 1 ? Object.fromEntries(SINGLETONS.map((f) => [`AzureWebJobs.${f}.Disabled`, 'true'])) : {}),
  });

  /** Starts the instance, again and again until it is up (a start during a storage outage fails). */
  const start = (index: number): Promise<void> => {
    const instance = instances[index];
    const log = logs[index];
    instance.starting ??= (async () => {
      log.write(`--- chaos: starting instance ${index} at ${new Date().toISOString()}\n`);
      for (let attempt = 1; !stopping; attempt++) {
        try {
          const { child, url } = await spawnApp({
            connectionString,
            env: envFor(index),
            startTimeoutMs: 90_000,
          });
          for (const stream of [child.stdout, child.stderr]) {
            createInterface({ input: stream }).on('line', (line) => {
              noteLine(instance, line);
              // "dequeued 6 times": deliveries cut short (kills, lost leases); "failed 5 times": it threw on each.
              const moved = /moved to queue "([^"]+)": (.*)$/.exec(line);
              if (moved) {
                const why = `${moved[1]}: ${moved[2].replace(/\d+/g, 'N')}`;
                poisonCauses[why] = (poisonCauses[why] ?? 0) + 1;
              }
              log.write(`${line}\n`);
            });
          }
          instance.child = child;
          instance.url = url;
          // An exit nobody asked for is a crash of the app itself: counted, and the instance restarted.
          child.once('exit', (code, signal) => {
            if (instance.child !== child || stopping) return;
            instance.child = undefined;
            instance.url = undefined;
            instance.crashes.push(`exited by itself (${signal ?? code}) at ${new Date().toISOString()}`);
            void start(index);
          });
          return;
        } catch (err) {
          if (attempt % 5 === 0)
            process.stderr.write(
              `chaos: instance ${index} would not start: ${(err as Error).message.split('\n')[0]}\n`,
            );
          await sleep(2000);
        }
      }
    })().finally(() => (instance.starting = undefined));
    return instance.starting;
  };

  await Promise.all([start(0), start(1)]);
  const sampler = setInterval(() => {
    for (const instance of instances) {
      if (instance.child?.pid) instance.peakKb = Math.max(instance.peakKb, treeRssKb(instance.child.pid));
    }
  }, 2000);

  return {
    connectionString,
    liveUrls: () => instances.filter((i) => i.child && i.url).map((i) => i.url!),
    async killInstance(index, downSeconds) {
      const instance = instances[index];
      await instance.starting;
      const child = instance.child;
      if (!child) return;
      instance.child = undefined;
      instance.url = undefined;
      await stopChild(child, 'SIGKILL');
      // Its decoder child is orphaned by the kill, as in a real crash, and exits when its pipe closes.
      await sleep(downSeconds * 1000);
      instance.restarts++;
      await start(index);
    },
    killDecoder(index) {
      const pid = instances[index].child?.pid;
      const decoder = pid === undefined ? undefined : processTree(pid).find((p) => p !== pid);
      if (decoder === undefined) return false;
      try {
        process.kill(decoder, 'SIGKILL');
        return true;
      } catch {
        return false;
      }
    },
    async restartAzurite(downSeconds) {
      await azurite.stop();
      await sleep(downSeconds * 1000);
      // Storage must come back: a start that fails (a port not yet free) is tried again.
      for (let attempt = 1; ; attempt++) {
        try {
          azurite = await startAzurite({ location: options.location, ...ports });
          return;
        } catch (err) {
          if (attempt >= 10) throw err;
          await sleep(1000);
        }
      }
    },
    storageMode: (mode) => proxy.setMode(mode),
    peakMb: () => instances.map((i) => Math.round(i.peakKb / 1024)),
    restarts: () => instances.map((i) => i.restarts),
    errorLines: () => instances.flatMap((i, n) => i.errors.map((line) => `instance ${n}: ${line}`)),
    crashes: () => instances.flatMap((i, n) => i.crashes.map((line) => `instance ${n} ${line}`)),
    poisonCauses: () => ({ ...poisonCauses }),
    async stop() {
      stopping = true;
      clearInterval(sampler);
      for (const i of instances) await i.starting;
      await Promise.all(instances.map((i) => (i.child ? stopChild(i.child, 'SIGTERM') : Promise.resolve())));
      await proxy.close();
      await azurite.stop();
      for (const log of logs) log.end();
    },
  };
}

/** Signals the child and waits for its exit (at once when it has exited already). */
function stopChild(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Keeps the instance's error lines (bounded): the report shows what the faults made the app say. */
function noteLine(instance: Instance, line: string): void {
  if (!/\b(error|fail|uncaught|unhandled)/i.test(line) || instance.errors.length >= 200) return;
  instance.errors.push(line.slice(0, 300));
}
