/**
 * Starts Azurite (the `azurite` devDependency) as a child process through its CLI, since the
 * package has no programmatic entry (`require('azurite')` fails). Ports default to 0 (free ones);
 * the real ports are read from Azurite's "successfully listening at" lines, and each is probed
 * before the connection string is returned. The connection string is the well-known
 * devstoreaccount1 one with explicit endpoints (Azurite's README, "Connection string").
 */
import { spawn, type ChildProcess } from 'child_process';
import { mkdir } from 'fs/promises';
import * as net from 'net';
import * as path from 'path';
import { azuriteConnectionString } from '../../lib/storage/clients';

export interface AzuriteOptions {
  /** Keep data in memory only (tests). Default false: data lives in `location`. */
  inMemoryPersistence?: boolean;
  /** Data directory when persisting. Default: `.azurite` under the current directory. */
  location?: string;
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** How long to wait for all three services. Default 30 s. */
  startTimeoutMs?: number;
  /** Write Azurite's debug log here: one line per request, which the benchmark counts. */
  debugLog?: string;
  /**
   * Tests only: HTTPS with this certificate and Azurite's OAuth ("basic": bearer tokens are
   * checked for issuer, audience and times, not signatures), which user delegation keys need.
   */
  oauth?: { cert: string; key: string };
}

export interface RunningAzurite {
  connectionString: string;
  /** The Azurite process (benchmarks read its CPU time). */
  pid: number;
  blobPort: number;
  queuePort: number;
  tablePort: number;
  stop(): Promise<void>;
}

export { azuriteConnectionString };

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
    socket.on('error', () => resolve(false));
  });
}

function waitForPorts(child: ChildProcess, timeoutMs: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const ports: Record<string, number> = {};
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${timeoutMs} ms. Output:\n${output}`)),
      timeoutMs,
    );
    function fail(err: Error): void {
      clearTimeout(timer);
      child.kill();
      reject(err);
    }
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const m of output.matchAll(
        /Azurite (Blob|Queue|Table) service is successfully listening at \S+:(\d+)/g,
      )) {
        ports[m[1].toLowerCase()] = Number(m[2]);
      }
      if (ports.blob && ports.queue && ports.table) {
        clearTimeout(timer);
        resolve(ports);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      fail(new Error(`Azurite exited with code ${code} before it was ready. Output:\n${output}`)),
    );
  });
}

/** Starts Azurite and resolves once blob, queue and table endpoints accept connections. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const cli = require.resolve('azurite/dist/src/azurite.js');
  const args = [cli, '--silent', '--skipApiVersionCheck', '--disableTelemetry', '--loose'];
  args.push('--blobHost', '127.0.0.1', '--queueHost', '127.0.0.1', '--tableHost', '127.0.0.1');
  args.push('--blobPort', String(options.blobPort ?? 0), '--queuePort', String(options.queuePort ?? 0));
  args.push('--tablePort', String(options.tablePort ?? 0));
  if (options.debugLog) args.push('--debug', options.debugLog);
  if (options.oauth) args.push('--oauth', 'basic', '--cert', options.oauth.cert, '--key', options.oauth.key);
  if (options.inMemoryPersistence) args.push('--inMemoryPersistence');
  else {
    const location = path.resolve(options.location ?? '.azurite');
    await mkdir(location, { recursive: true });
    args.push('--location', location);
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ports = await waitForPorts(child, options.startTimeoutMs ?? 30_000);
  for (const port of Object.values(ports)) {
    while (!(await probe(port))) await new Promise((r) => setTimeout(r, 50));
  }
  child.removeAllListeners('exit');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = { blobPort: ports.blob, queuePort: ports.queue, tablePort: ports.table };
  return {
    ...running,
    pid: child.pid!,
    connectionString: azuriteConnectionString(running, options.oauth ? 'https' : 'http'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}
