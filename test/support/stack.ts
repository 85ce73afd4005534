/**
 * Jest helper: the real local stack for a test file. A fresh Azurite, and the app started
 * exactly as `npm start` starts it (src/local/launcher/appProcess.ts; run `npm run build` first, as
 * `npm test` does), in a child process that tests can kill -9 and restart.
 *
 *   const stack = useLocalStack({ env: { CLASSIFIER_MAX_BYTES: '2000000' } });
 *   it('...', async () => { await fetch(`${stack.url}/api/health`); });
 *
 * `persistent: true` keeps Azurite's data on disk on fixed ports, so `stopAzurite()` and
 * `startAzurite()` restart it with its data and endpoints; `skipModelCheck: true` starts the
 * app without npm start's up-front model check, as the Functions host in Azure does.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { spawnApp, stopApp } from '../../src/local/launcher/appProcess';
import { startAzurite, type RunningAzurite } from '../../src/local/launcher/azurite';
import type { Services } from '../../src/lib/services';
import { servicesFor } from './services';

export const MODEL_CACHE_DIR =
  process.env.MODEL_CACHE_DIR ?? path.resolve(__dirname, '../../../shared/models');

export interface LocalStackOptions {
  /** Extra environment for the app process. */
  env?: Record<string, string>;
  persistent?: boolean;
  skipModelCheck?: boolean;
}

export interface LocalStack {
  readonly url: string;
  readonly connectionString: string;
  /** Everything the app printed so far (for failure messages and log assertions). */
  readonly output: string;
  readonly appPid: number | undefined;
  /** The app's Services over this stack's Azurite, in the test process (built on first use). */
  services(): Services;
  blobs(): BlobServiceClient;
  queues(): QueueServiceClient;
  table(name: string): TableClient;
  /** Starts the app (again) against the same Azurite, with extra environment if given. */
  startApp(env?: Record<string, string>): Promise<void>;
  /** Kills the app: SIGKILL by default, like a crash. */
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

export function useLocalStack(options: LocalStackOptions = {}): LocalStack {
  let azurite: RunningAzurite | undefined;
  let connectionString = '';
  let app: ChildProcessWithoutNullStreams | undefined;
  let url = '';
  let output = '';
  let location = '';
  let ports: { blobPort: number; queuePort: number; tablePort: number } | undefined;
  let services: Services | undefined;

  const bootAzurite = async (): Promise<void> => {
    if (!options.persistent) azurite = await startAzurite({ inMemoryPersistence: true });
    else {
      location ||= mkdtempSync(path.join(os.tmpdir(), 'azurite-test-'));
      ports ??= { blobPort: await freePort(), queuePort: await freePort(), tablePort: await freePort() };
      azurite = await startAzurite({ location, ...ports });
    }
    connectionString = azurite.connectionString;
  };

  const startApp = async (extraEnv: Record<string, string> = {}): Promise<void> => {
    const started = await spawnApp({
      connectionString,
      env: { MODEL_CACHE_DIR, ...options.env, ...extraEnv },
      skipModelCheck: options.skipModelCheck,
      onOutput: (text) => (output += text),
    });
    app = started.child;
    url = started.url;
  };

  const killApp = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const child = app;
    app = undefined;
    if (child) await stopApp(child, signal);
  };

  beforeAll(async () => {
    await bootAzurite();
    await startApp();
  }, 120_000);

  afterAll(async () => {
    await killApp('SIGTERM');
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
    services: () => (services ??= servicesFor(connectionString)),
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

/** Polls `fn` until it returns a value, or fails after `timeoutMs` with `what` in the message. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every row of table `results`, by id. */
export async function resultRows(
  stack: LocalStack,
): Promise<Map<string, { status: string; error?: string }>> {
  const rows = new Map<string, { status: string; error?: string }>();
  for await (const row of stack.table('results').listEntities<{ status: string; error?: string }>())
    rows.set(row.partitionKey!, { status: row.status, error: row.error });
  return rows;
}

/** Names of the JSON blobs in container `results` under a prefix. */
export async function resultBlobs(stack: LocalStack, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of stack.blobs().getContainerClient('results').listBlobsFlat({ prefix }))
    names.push(blob.name);
  return names.sort();
}

/**
 * The JSON blobs under a prefix once there are at least `count` of them (or the listing at the
 * timeout). A result's JSON blob is written just after its row turns terminal, and after a
 * crash between the two, only when the work is redelivered: a test that has seen the rows end
 * waits for the blobs too, then checks the names exactly.
 */
export async function resultBlobsWritten(
  stack: LocalStack,
  prefix: string,
  count: number,
  timeoutMs = 60_000,
): Promise<string[]> {
  return eventually(
    `${count} JSON blobs under results/${prefix}`,
    async () => {
      const names = await resultBlobs(stack, prefix);
      return names.length >= count ? names : undefined;
    },
    timeoutMs,
  ).catch(() => resultBlobs(stack, prefix));
}
