/**
 * The local Functions host: what `func start` does for this app, without Core Tools.
 *
 * Startup follows azure-functions-nodejs-worker `src/startApp.ts` (load package.json `main`,
 * then `appStart` hooks) and the host's listener start-up: HTTP routes under host.json's
 * routePrefix, queue listeners, the Event Grid stand-in (triggers/eventGridTrigger.ts) and timers.
 * Blob triggers are not run: without a capture of every property the real host sends them, a
 * stand-in would invent their shape (the app uses Event Grid triggers instead).
 * Like the host it honours host.json `functions` and `AzureWebJobs.<name>.Disabled` settings.
 * Stop: listeners stop polling, the server stops accepting, in-flight invocations get
 * `stopTimeoutMs` to finish (the host's graceful shutdown), then `appTerminate` hooks run.
 */
import * as http from 'http';
import * as os from 'os';
import type { AddressInfo } from 'net';
import { executeHooks } from './functionsCore';
import { readHostConfig } from './hostConfig';
import { createHttpTriggerListener } from './http/server';
import { InflightTracker } from './inflight';
import { loadApp } from './loader';
import { createHostLogger, type HostLogLevel } from './log';
import { createHostStorageClients } from './storage';
import { startEventGridTriggers, type EventGridSubscription } from './triggers/eventGridTrigger';
import type { BoundFunction, TriggerContext } from './triggers/context';
import { startQueueTrigger } from './triggers/queueTrigger';
import { runTimerTrigger } from './triggers/timerTrigger';
import { intFromEnv } from '../../lib/env';

export interface HostOptions {
  /** Directory with package.json (whose `main` globs the compiled function files) and host.json. Default: cwd. */
  appRoot?: string;
  /** HTTP port; 0 picks a free one. Default: PORT, else 7071. */
  port?: number;
  /** Address to listen on. Default: LOCAL_HOST_ADDRESS, else 127.0.0.1 (loopback only). */
  address?: string;
  /** Storage connection string for queue and blob triggers. Default: AzureWebJobsStorage. */
  connectionString?: string;
  /** Names this host's state in storage (receipts, internal queue). Default: the machine name, like the host. */
  hostId?: string;
  /** Default 'info'; tests pass 'silent' or 'error'. */
  logLevel?: HostLogLevel;
  /** Where log lines go. Default: stdout. */
  log?: (line: string) => void;
  /** Largest accepted HTTP request body. Default: FUNCTIONS_REQUEST_BODY_SIZE_LIMIT or 100 MiB. */
  maxRequestBodyBytes?: number;
  /** How long stop() waits for running invocations. Default 30 s. */
  stopTimeoutMs?: number;
  /** Queue message invisibility while it runs, renewed at half. Default 60 s (the host: 10 min). */
  leaseMs?: number;
  /** Tests only: how long the Event Grid stand-in waits for an answer (Event Grid's 30 s). */
  eventGridAnswerLimitMs?: number;
  /** Blob event subscriptions of Event Grid functions (in Azure: scripts/postdeploy.*). Default none. */
  eventGridSubscriptions?: EventGridSubscription[];
}

export interface RunningHost {
  /** The bound HTTP port. */
  port: number;
  /** `http://localhost:<port>`. */
  url: string;
  /** The address listened on (loopback unless told otherwise). */
  address: string;
  /** Names of the enabled functions. */
  functions: string[];
  /** Stops listeners, waits for in-flight invocations (bounded), closes the server. */
  stop(): Promise<void>;
}

/** The host id the Functions host derives locally: machine name, lower case, at most 32 characters. */
export function defaultHostId(): string {
  const id = (process.env.AzureFunctionsWebHost__hostid ?? os.hostname())
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-');
  return id.replace(/-+/g, '-').slice(0, 32).replace(/^-|-$/g, '') || 'local-host';
}

function triggerOf(bound: BoundFunction): string {
  return String(bound.fn.metadata.bindings[bound.triggerName].type).toLowerCase();
}

function listen(server: http.Server, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startHost(options: HostOptions = {}): Promise<RunningHost> {
  const appRoot = options.appRoot ?? process.cwd();
  const logger = createHostLogger({ level: options.logLevel, write: options.log });
  const config = await readHostConfig(appRoot);
  const { registry, capabilities } = await loadApp({ appRoot, logger });
  const bound: BoundFunction[] = [...registry.functions.values()]
    .filter((fn) => !config.functions || config.functions.includes(fn.metadata.name))
    .filter((fn) => !/^(true|1)$/i.test(process.env[`AzureWebJobs.${fn.metadata.name}.Disabled`] ?? ''))
    .map((fn) => ({
      fn,
      triggerName:
        Object.keys(fn.metadata.bindings).find((k) =>
          /trigger$/i.test(String(fn.metadata.bindings[k].type)),
        ) ?? '',
    }));
  const connectionString = options.connectionString ?? process.env.AzureWebJobsStorage;
  const abort = new AbortController();
  const inflight = new InflightTracker();
  const ctx: TriggerContext = {
    registry,
    config,
    logger,
    inflight,
    signal: abort.signal,
    storage: connectionString ? createHostStorageClients(connectionString) : undefined,
    connectionString,
    hostId: options.hostId ?? defaultHostId(),
    leaseMs: options.leaseMs,
    eventGridAnswerLimitMs: options.eventGridAnswerLimitMs,
  };
  const byType = (type: string) => bound.filter((b) => triggerOf(b) === type);
  const server = http.createServer(
    createHttpTriggerListener({
      registry,
      functions: byType('httptrigger'),
      routePrefix: config.routePrefix,
      functionTimeoutMs: config.functionTimeoutMs,
      logger,
      inflight,
      maxRequestBodyBytes: options.maxRequestBodyBytes,
      httpUri: capabilities.HttpUri,
    }),
  );
  if (capabilities.HttpUri)
    logger.info(`HTTP streaming on: requests are forwarded to ${capabilities.HttpUri}`);
  // Loopback unless told: the local host checks no function keys, so on a network interface
  // the jobs and admin routes of whatever account AzureWebJobsStorage names would be open.
  const address = options.address ?? (process.env.LOCAL_HOST_ADDRESS || '127.0.0.1');
  const port = await listen(
    server,
    options.port ?? intFromEnv('PORT', 7071, { min: 0, max: 65535 }),
    address,
  );
  logger.info(
    ['127.0.0.1', '::1', 'localhost'].includes(address)
      ? `Listening on ${address} only: function keys are not checked locally (LOCAL_HOST_ADDRESS=0.0.0.0 opens it to the network).`
      : `Listening on ${address}: reachable from the network, and function keys are not checked locally.`,
  );
  for (const b of bound.filter(
    (b) => !['httptrigger', 'queuetrigger', 'eventgridtrigger', 'timertrigger'].includes(triggerOf(b)),
  )) {
    logger.warn(
      `Function "${b.fn.metadata.name}" has a trigger the local host does not run (${triggerOf(b)}).`,
    );
  }
  const storageTriggers = ['queuetrigger', 'eventgridtrigger'].flatMap(byType);
  if (!ctx.storage && storageTriggers.length > 0) {
    logger.warn(
      `No storage connection (AzureWebJobsStorage): ${storageTriggers.map((b) => b.fn.metadata.name).join(', ')} will not run.`,
    );
  }
  const listeners = [
    ...(ctx.storage ? byType('queuetrigger') : []).map((b) => startQueueTrigger(ctx, b)),
    ...(ctx.storage
      ? startEventGridTriggers(ctx, byType('eventgridtrigger'), options.eventGridSubscriptions ?? [])
      : []),
    ...byType('timertrigger').map((b) => runTimerTrigger(ctx, b)),
  ].map((p) => p.catch((err: unknown) => logger.error('A trigger listener stopped on an error.', err)));
  logger.info(
    `Host started on http://localhost:${port} with functions: ${bound.map((b) => b.fn.metadata.name).join(', ')}`,
  );
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    abort.abort();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.all(listeners);
    if (!(await inflight.drain(options.stopTimeoutMs ?? 30_000)))
      logger.warn('Stopped with invocations still running.');
    server.closeAllConnections();
    await closed;
    await executeHooks(registry, 'appTerminate', { hookData: {}, appHookData: registry.appHookData });
  };
  return {
    port,
    url: `http://localhost:${port}`,
    address,
    functions: bound.map((b) => b.fn.metadata.name),
    stop: () => (stopping ??= stop()),
  };
}
