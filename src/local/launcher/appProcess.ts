/**
 * Runs the whole local app (dist/src/local/start.js, what `npm start` runs) as a child
 * process against a given storage account and waits for the URL it prints. Shared by the
 * test stack and the benchmarks, which need a real process to kill, restart and measure.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';

export interface AppProcessOptions {
  /** AzureWebJobsStorage for the app. */
  connectionString: string;
  /** Extra environment (PORT is always 0: a free port). */
  env?: Record<string, string>;
  /** Start like the Functions host in Azure, without npm start's up-front model check. */
  skipModelCheck?: boolean;
  /** Receives everything the app prints. */
  onOutput?: (text: string) => void;
  startTimeoutMs?: number;
}

export interface AppProcess {
  child: ChildProcessWithoutNullStreams;
  /** `http://localhost:<port>`, no trailing slash. */
  url: string;
}

const START = path.join(PROJECT_ROOT, 'dist/src/local/launcher/start.js');

export async function spawnApp(options: AppProcessOptions): Promise<AppProcess> {
  // The environment given is the whole configuration: a developer's local.settings.json stays out.
  const args = [START, '--no-local-settings', ...(options.skipModelCheck ? ['--skip-model-check'] : [])];
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...options.env, AzureWebJobsStorage: options.connectionString, PORT: '0' },
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    const timer = setTimeout(
      () => reject(new Error(`The app did not start in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      options.onOutput?.(text);
      output = (output + text).slice(-20_000);
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
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  child.removeAllListeners('exit');
  return { child, url };
}

/** Stops the app: SIGTERM lets it finish in-flight work, SIGKILL is a crash. */
export async function stopApp(
  child: ChildProcessWithoutNullStreams,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
