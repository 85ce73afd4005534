/**
 * Jest helper: the real local stack for a test file. A fresh in-memory Azurite, and the app
 * started exactly as `npm start` starts it (node dist/src/local/start.js, so run `npm run
 * build` first; `npm test` does), in a child process that tests can kill -9 and restart.
 *
 *   const stack = useLocalStack({ env: { CLASSIFIER_MAX_BYTES: '2000000' } });
 *   it('...', async () => { await fetch(`${stack.url}/api/health`); });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';

const START = path.resolve(__dirname, '../../dist/src/local/start.js');
const MODEL_CACHE_DIR = process.env.MODEL_CACHE_DIR ?? path.resolve(__dirname, '../../../shared/models');

export interface LocalStackOptions {
  /** Extra environment for the app process. */
  env?: Record<string, string>;
}

export interface LocalStack {
  readonly url: string;
  readonly connectionString: string;
  /** Everything the app printed so far (for failure messages and log assertions). */
  readonly output: string;
  blobs(): BlobServiceClient;
  queues(): QueueServiceClient;
  /** Starts the app (again) against the same Azurite. */
  startApp(): Promise<void>;
  /** Kills the app: SIGKILL by default, like a crash. */
  killApp(signal?: NodeJS.Signals): Promise<void>;
}

export function useLocalStack(options: LocalStackOptions = {}): LocalStack {
  let azurite: RunningAzurite | undefined;
  let app: ChildProcess | undefined;
  let url = '';
  let output = '';

  const startApp = async (): Promise<void> => {
    const child = spawn(process.execPath, [START], {
      env: {
        ...process.env,
        MODEL_CACHE_DIR,
        ...options.env,
        AzureWebJobsStorage: azurite!.connectionString,
        PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app = child;
    const from = output.length;
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`The app did not start in 60 s:\n${output.slice(from)}`)),
        60_000,
      );
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const m = /Upload page: +(http:\/\/localhost:\d+)\//.exec(output.slice(from));
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
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
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  };

  beforeAll(async () => {
    azurite = await startAzurite({ inMemoryPersistence: true });
    process.env.AzureWebJobsStorage = azurite.connectionString;
    await startApp();
  }, 120_000);

  afterAll(async () => {
    await killApp('SIGTERM');
    await azurite?.stop();
  }, 60_000);

  return {
    get url() {
      return url;
    },
    get connectionString() {
      return azurite!.connectionString;
    },
    get output() {
      return output;
    },
    blobs: () => BlobServiceClient.fromConnectionString(azurite!.connectionString),
    queues: () => QueueServiceClient.fromConnectionString(azurite!.connectionString),
    startApp,
    killApp,
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
