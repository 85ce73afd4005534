/**
 * `npm start`: the whole local system in one process tree. Reads local.settings.json as Core
 * Tools does (the environment wins), starts Azurite (unless AzureWebJobsStorage points at an
 * account already; `UseDevelopmentStorage=true` means Azurite on its usual ports), fetches the model if it is not cached,
 * creates the storage the app uses, allows the page's origin to PUT blobs, then runs the
 * function app on the local host and prints where to go. Ctrl-C stops everything cleanly, and
 * so does any failure, SIGTERM, SIGHUP or uncaught error: nothing it started is left behind. It
 * never starts a second Azurite on the usual ports' data (`.azurite/`): when those ports are
 * taken it says by whom and stops.
 */
import path from 'node:path';
import { loadManifest } from '../../lib/model/manifest';
import { ensureModelFile } from '../../lib/model/modelFile';
import { PROJECT_ROOT } from '../../lib/paths';
import { allowUploadsFrom, configuredOrigins } from '../../lib/storage/blobCors';
import { ensureStorage } from '../../lib/storage/ensureStorage';
import { blobEventSubscriptions } from '../../lib/storage/names';
import {
  createStorageClients,
  DEVELOPMENT_STORAGE_PORTS,
  isDevelopmentStorage,
} from '../../lib/storage/clients';
import { applyLocalSettings } from './localSettings';
import { jsonLimitFor } from '../../lib/sync/base64Image';
import { limitsFromEnv } from '../../lib/decode/limits';
import { startAzurite, type RunningAzurite } from './azurite';
import { startHost } from '../functionsHost/host';
import { intFromEnv } from '../../lib/env';
import { probe } from './azurite';
import { portOwner } from './portOwner';
import { configuredSinks, eventsConfigFromEnv } from '../../lib/events/eventsConfig';

/** Azurite's usual ports, so Storage Explorer and `UseDevelopmentStorage=true` tools find it. */
const AZURITE_PORTS = DEVELOPMENT_STORAGE_PORTS;

/** What this run started, stopped in reverse order whatever ends it. */
const started: (() => Promise<void>)[] = [];
let ready = false;
let stopping = false;

async function shutdown(code: number, message: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (code === 0) log(message);
  else process.stderr.write(`${message}\n`);
  for (const stop of started.reverse()) await stop().catch(() => undefined);
  if (ready || started.length > 0) log('Stopped.');
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(signal, () => void shutdown(ready ? 0 : 1, `\n${signal}: stopping...`));
process.on('uncaughtException', (err) => void shutdown(1, `npm start failed: ${err.stack ?? err.message}`));
process.on('unhandledRejection', (err) => void shutdown(1, `npm start failed: ${String(err)}`));

/** Another Azurite (or anything) on the usual ports: say who, and do not share .azurite/ with it. */
async function refuseTakenPorts(): Promise<void> {
  const taken: string[] = [];
  for (const [service, port] of Object.entries(AZURITE_PORTS)) {
    if (!(await probe(port))) continue;
    const owner = portOwner(port);
    taken.push(
      `${port} (${service.replace('Port', '')})${owner ? ` by pid ${owner.pid}: ${owner.command}` : ''}`,
    );
  }
  if (taken.length === 0) return;
  throw new Error(
    `Azurite's usual ports are taken: ${taken.join('; ')}. Stop that process (an Azurite left from an earlier run?), ` +
      'or use it: set AzureWebJobsStorage=UseDevelopmentStorage=true. npm start does not start a second Azurite ' +
      'beside it on the same .azurite/ data.',
  );
}

async function main(): Promise<void> {
  // Tests and the bench start the app with --no-local-settings: a developer's file must not change them.
  const settings = process.argv.includes('--no-local-settings')
    ? { applied: [], skipped: [] }
    : applyLocalSettings(path.join(PROJECT_ROOT, 'local.settings.json'));
  if (settings.file) log(`Read local.settings.json: ${settings.applied.length} values.`);
  for (const name of settings.skipped)
    log(`Skipping '${name}' from local settings as it's already defined in current environment variables.`);
  // As deployed (infra/main.bicep): the host's body cap is what the largest accepted request needs.
  process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT ??= String(jsonLimitFor(limitsFromEnv().maxBytes));
  // 0 picks a free port (tests).
  const port = intFromEnv('PORT', settings.port ?? 7071, { min: 0, max: 65535 });
  let azurite: RunningAzurite | undefined;
  // Where npm start's Azurite keeps its data (tests point it elsewhere).
  const azuriteData = path.resolve(process.env.LOCAL_AZURITE_DATA ?? path.join(PROJECT_ROOT, '.azurite'));
  const shownData = azuriteData.startsWith(PROJECT_ROOT + path.sep)
    ? `${path.relative(PROJECT_ROOT, azuriteData)}/`
    : azuriteData;
  const storage = process.env.AzureWebJobsStorage;
  if (!storage) {
    await refuseTakenPorts();
    azurite = await startAzurite({ location: azuriteData, ...AZURITE_PORTS });
    started.push(() => azurite!.stop());
    process.env.AzureWebJobsStorage = azurite.connectionString;
    log(
      `Azurite: blob ${azurite.blobPort}, queue ${azurite.queuePort}, table ${azurite.tablePort} (data in ${shownData})`,
    );
  } else if (isDevelopmentStorage(storage)) {
    // Development storage is Azurite on its usual ports: start it, or use the one already there.
    azurite = await startAzurite({ location: azuriteData, ...AZURITE_PORTS }).catch(() => undefined);
    if (azurite) started.push(() => azurite!.stop());
    log(
      azurite
        ? `UseDevelopmentStorage=true: Azurite started on ports 10000-10002 (data in ${shownData})`
        : 'UseDevelopmentStorage=true: ports 10000-10002 are taken; using the Azurite (or emulator) there.',
    );
  } else {
    log('Using the storage account in AzureWebJobsStorage.');
  }
  // --skip-model-check starts as the Functions host in Azure does: a missing or broken model
  // then shows in /api/health and holds the queue, instead of stopping npm start.
  if (!process.argv.includes('--skip-model-check')) {
    await ensureModelFile(loadManifest(), { progress: process.stderr });
  }
  const clients = createStorageClients();
  await withRetries('creating the containers, queues and tables', () => ensureStorage(clients));
  // How long a running message stays invisible before another attempt may take it over
  // after a crash (renewed while it runs). Local-only knob, so crash tests need not wait.
  const leaseSeconds = intFromEnv('LOCAL_QUEUE_LEASE_SECONDS', 60);
  // The links in job events (in Azure the platform's WEBSITE_HOSTNAME gives them). With port 0
  // (tests) the port is not known before the app starts, and events carry relative links.
  if (port !== 0) process.env.CLASSIFIER_PUBLIC_URL ??= `http://localhost:${port}`;
  // With no sink set nothing is ever queued on `events`: its trigger need not poll (a storage
  // request every 250 ms when idle). A bad events setting stops the start here, with its name.
  if (configuredSinks(eventsConfigFromEnv()).length === 0)
    process.env['AzureWebJobs.deliverEvents.Disabled'] ??= 'true';
  const host = await startHost({
    appRoot: PROJECT_ROOT,
    port,
    leaseMs: leaseSeconds * 1000,
    eventGridSubscriptions: [...blobEventSubscriptions],
  });
  started.push(() => host.stop());
  await allowUploadsFrom(clients, [
    `http://localhost:${host.port}`,
    `http://127.0.0.1:${host.port}`,
    ...configuredOrigins(),
  ]);
  log(
    `\n  Upload page:  http://localhost:${host.port}/\n  API:          http://localhost:${host.port}/api/health\n  Drop folder:  container "images" in ${azurite ? 'Azurite' : 'your account'}\n\nPress Ctrl-C to stop.`,
  );

  ready = true;
}

/** A storage hiccup at start-up (Azurite still warming up, a flaky network) should not end npm start. */
async function withRetries(what: string, task: () => Promise<void>, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (err) {
      if (attempt >= attempts) throw new Error(`Failed ${what}: ${(err as Error).message}`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().catch((err: unknown) => void shutdown(1, `npm start failed: ${(err as Error).message}`));
