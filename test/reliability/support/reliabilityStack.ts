/**
 * The local stack for reliability tests: like test/support/stack.ts, plus what fault tests need.
 * - `persistent: true`: Azurite on fixed ports with an on-disk `location`, so it can be stopped
 *   and started again (`stopAzurite()` / `startAzurite()`) with its data and the same endpoints.
 * - `skipModelCheck: true`: starts the host without start.js's up-front model download and
 *   check, as the Functions host in Azure does, so a missing or corrupt model reaches the app.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite, type RunningAzurite } from '../../../src/local/azurite';

const ROOT = path.resolve(__dirname, '../../..');
const START = path.join(ROOT, 'dist/src/local/start.js');
export const MODEL_CACHE_DIR = process.env.MODEL_CACHE_DIR ?? path.resolve(ROOT, '../shared/models');

/** start.js without ensureModelFile: storage, CORS for the page, the host. */
const GATELESS_START = `
const path = require('node:path');
const root = ${JSON.stringify(ROOT)};
const { startHost } = require(path.join(root, 'dist/src/local/host.js'));
const { ensureStorage } = require(path.join(root, 'dist/src/lib/storage/ensureStorage.js'));
(async () => {
  await ensureStorage();
  const leaseMs = (Number(process.env.LOCAL_QUEUE_LEASE_SECONDS) || 60) * 1000;
  const host = await startHost({ appRoot: root, port: 0, leaseMs });
  console.log('Upload page:  ' + host.url + '/');
  process.on('SIGTERM', () => host.stop().then(() => process.exit(0)));
})().catch((err) => { console.error(err); process.exit(1); });
`;

export interface ReliabilityStackOptions {
  env?: Record<string, string>;
  persistent?: boolean;
  skipModelCheck?: boolean;
}

export interface ReliabilityStack {
  readonly url: string;
  readonly connectionString: string;
  readonly output: string;
  readonly appPid: number | undefined;
  blobs(): BlobServiceClient;
  queues(): QueueServiceClient;
  table(name: string): TableClient;
  startApp(env?: Record<string, string>): Promise<void>;
  killApp(signal?: NodeJS.Signals): Promise<void>;
  stopAzurite(): Promise<void>;
  startAzurite(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function useReliabilityStack(options: ReliabilityStackOptions = {}): ReliabilityStack {
  let azurite: RunningAzurite | undefined;
  let connectionString = '';
  let app: ChildProcess | undefined;
  let url = '';
  let output = '';
  let location = '';
  let ports: { blobPort: number; queuePort: number; tablePort: number } | undefined;

  const bootAzurite = async (): Promise<void> => {
    if (!options.persistent) azurite = await startAzurite({ inMemoryPersistence: true });
    else {
      location ||= mkdtempSync(path.join(os.tmpdir(), 'azurite-reliability-'));
      ports ??= { blobPort: await freePort(), queuePort: await freePort(), tablePort: await freePort() };
      azurite = await startAzurite({ location, ...ports });
    }
    connectionString = azurite.connectionString;
    process.env.AzureWebJobsStorage = connectionString;
  };

  const startApp = async (extraEnv: Record<string, string> = {}): Promise<void> => {
    const args = options.skipModelCheck ? ['-e', GATELESS_START] : [START];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        MODEL_CACHE_DIR,
        ...options.env,
        ...extraEnv,
        AzureWebJobsStorage: connectionString,
        PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app = child;
    const from = output.length;
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`The app did not start in 60 s:\n${output.slice(from)}`)),
        60_000,
      );
      const check = (): void => {
        const m = /Upload page: +(http:\/\/localhost:\d+)\//.exec(output.slice(from));
        if (m) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.stderr.off('data', check);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`The app exited with ${code} while starting:\n${output.slice(from)}`));
      });
    });
    child.removeAllListeners('exit');
  };

  const killApp = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const child = app;
    app = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  };

  beforeAll(async () => {
    await bootAzurite();
    await startApp();
  }, 120_000);

  afterAll(async () => {
    await killApp('SIGKILL');
    await azurite?.stop();
    if (location) rmSync(location, { recursive: true, force: true });
  }, 60_000);

  return {
    get url() {
      return url;
    },
    get connectionString() {
      return connectionString;
    },
    get output() {
      return output;
    },
    get appPid() {
      return app?.pid;
    },
    blobs: () => BlobServiceClient.fromConnectionString(connectionString),
    queues: () => QueueServiceClient.fromConnectionString(connectionString),
    table: (name) =>
      TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true }),
    startApp,
    killApp,
    stopAzurite: async () => {
      await azurite?.stop();
      azurite = undefined;
    },
    startAzurite: bootAzurite,
  };
}

/** Every row of table `results`, by id. */
export async function resultRows(
  stack: ReliabilityStack,
): Promise<Map<string, { status: string; error?: string }>> {
  const rows = new Map<string, { status: string; error?: string }>();
  for await (const row of stack.table('results').listEntities<{ status: string; error?: string }>())
    rows.set(row.partitionKey!, { status: row.status, error: row.error });
  return rows;
}

/** Names of the JSON blobs in container `results` under a prefix. */
export async function resultBlobs(stack: ReliabilityStack, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of stack.blobs().getContainerClient('results').listBlobsFlat({ prefix }))
    names.push(blob.name);
  return names.sort();
}
