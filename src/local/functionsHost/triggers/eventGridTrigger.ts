/**
 * `app.eventGrid` functions subscribed to a container's Microsoft.Storage.BlobCreated events.
 * Azurite has no Event Grid, so this stands in for both Event Grid and the host's Event Grid
 * extension, with their observable rules:
 *  - Event Grid: one event per new blob version, in the Event Grid schema exactly as the
 *    published sample (test/fixtures/triggers/eventgrid-blob-created.json); at-least-once, and
 *    a failed delivery is retried on Event Grid's schedule (10 s, 30 s, 1 min, 5 min, 10 min,
 *    30 min, 1 h, 3 h, 6 h, then every 12 h) for up to 30 attempts or 24 hours, then dropped
 *    (learn.microsoft.com/azure/event-grid/delivery-and-retry). A delivery not answered within
 *    30 s counts as failed and is retried on that schedule while the first invocation goes on;
 *    a success that arrives before the retry is due cancels it (Event Grid removes it "on a
 *    best-effort basis" when the answer comes within 3 minutes). No event is sent for a blob
 *    written before the subscription existed: the first start on an account creates it.
 *  - The extension (Microsoft.Azure.WebJobs.Extensions.EventGrid): one invocation per event,
 *    the event as RPC `json` and trigger metadata `data` only; a thrown handler is a failed
 *    delivery (the webhook answers 500).
 *  - Flex Consumption caps concurrent HTTP-style invocations per instance (16 by default at
 *    2,048 MB), so at most 16 deliveries run at once here.
 * Changes are found by listing each subscribed container every 250 ms, on a thread of its own
 * (triggers/blobLister.ts); what was delivered is checkpointed in `azure-webjobs-hosts/eventgrid-standin/<hostId>/<function>.json` (debounced),
 * so a restart neither loses nor re-floods blobs. The listing and the checkpoint are this
 * stand-in's own cost; in Azure, Event Grid pushes and the app reads nothing to find new blobs.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { invokeFunction } from '../invoke';
import { sleep } from '../inflight';
import { typedJson } from '../typedData';
import { compiledEntry } from '../../../lib/paths';
import { createHostStorageClients } from '../storage';
import type { ListedBlob, ListerData, ListerMessage } from './blobLister';
import type { BoundFunction, TriggerContext } from './context';
import { requireStorage } from './context';

/** Which container's BlobCreated events reach which function (scripts/postdeploy.* creates the same in Azure). */
export interface EventGridSubscription {
  functionName: string;
  container: string;
}

const SCAN_INTERVAL_MS = 250;
const LISTER_START_DELAY_MS = 1000;
const CHECKPOINT_INTERVAL_MS = 2000;
const MAX_CONCURRENT = 16;
const RETRY_SCHEDULE_S = [10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600];
const MAX_ATTEMPTS = 30;
const TTL_MS = 24 * 3600 * 1000;
/** How long Event Grid waits for a webhook's answer before it schedules a retry. */
export const ANSWER_LIMIT_MS = 30_000;
const HOSTS_CONTAINER = 'azure-webjobs-hosts';

export function retryDelayMs(attempt: number): number {
  return (RETRY_SCHEDULE_S[attempt - 1] ?? 12 * 3600) * 1000;
}

/**
 * One BlobCreated event in the Event Grid schema, field for field as the published sample. Its
 * id is derived from the version (one write is one event), so the delivery that follows a crash
 * of this host carries the same id, as Event Grid's redelivery of an unanswered event does.
 */
export function blobCreatedEvent(
  account: string,
  url: string,
  container: string,
  blob: ListedBlob,
  sequencer: string,
) {
  const hex = createHash('sha256').update(`${account}/${container}/${blob.name}@${blob.etag}`).digest('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return {
    topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/${account}`,
    subject: `/blobServices/default/containers/${container}/blobs/${blob.name}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: new Date().toISOString(),
    id,
    data: {
      api: 'PutBlob',
      clientRequestId: randomUUID(),
      requestId: randomUUID(),
      eTag: blob.etag,
      contentType: blob.contentType ?? 'application/octet-stream',
      contentLength: blob.contentLength,
      blobType: 'BlockBlob',
      url,
      sequencer,
      storageDiagnostics: { batchId: randomUUID() },
    },
    dataVersion: '',
    metadataVersion: '1',
  };
}

type BlobCreatedEvent = ReturnType<typeof blobCreatedEvent>;

class Checkpoint {
  #delivered = new Map<string, string>();
  #dirty = false;
  /** When the subscription was created (ms): blobs last written before it get no event. */
  createdAt = 0;
  constructor(private readonly blob: ReturnType<ContainerClient['getBlockBlobClient']>) {}

  /** Reads the checkpoint; on the first start there is none, and the subscription is created now. */
  async load(): Promise<void> {
    try {
      const saved = JSON.parse((await this.blob.downloadToBuffer()).toString('utf8')) as
        { createdAt: number; delivered: Record<string, string> } | Record<string, string>; // before createdAt was kept: a subscription from the start
      const current = typeof saved.createdAt === 'number' && typeof saved.delivered === 'object';
      this.createdAt = current ? (saved.createdAt as number) : 0;
      this.#delivered = new Map(Object.entries(current ? saved.delivered : saved) as [string, string][]);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      // Written at once: a crash before the first flush must not move the subscription's birth.
      this.createdAt = Date.now();
      this.#dirty = true;
      await this.flush();
    }
  }
  /** Whether Event Grid would send an event for this version: written since the subscription, and not delivered yet. */
  wants(blob: ListedBlob): boolean {
    // Last-Modified has whole seconds: a blob of the subscription's own second gets its event.
    if (blob.lastModified < Math.floor(this.createdAt / 1000) * 1000) return false;
    return this.#delivered.get(blob.name) !== blob.etag;
  }
  mark(name: string, etag: string): void {
    this.#delivered.set(name, etag);
    this.#dirty = true;
  }
  /** Forgets a blob that no longer exists, so the checkpoint stays the size of the container. */
  forget(name: string): void {
    if (this.#delivered.delete(name)) this.#dirty = true;
  }
  async flush(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    const body = JSON.stringify({
      createdAt: this.createdAt,
      delivered: Object.fromEntries(this.#delivered),
    });
    await this.blob.upload(body, Buffer.byteLength(body)).catch((err: unknown) => {
      this.#dirty = true;
      throw err;
    });
  }
}

function accountOf(blobs: BlobServiceClient): string {
  const url = new URL(blobs.url);
  return url.pathname.split('/').filter(Boolean)[0] ?? url.hostname.split('.')[0];
}

type Changes = Extract<ListerMessage, { kind: 'changes' }>;

async function runSubscription(
  ctx: TriggerContext,
  bound: BoundFunction,
  sub: EventGridSubscription,
  subscribe: (onChanges: (m: Changes) => void) => void,
): Promise<void> {
  requireStorage(ctx, `Event Grid trigger "${sub.functionName}"`);
  // The stand-in's own requests are named as such (its cost is Event Grid's in Azure).
  const { blobs } = createHostStorageClients(ctx.connectionString!, 'eventgrid-standin');
  const hosts = blobs.getContainerClient(HOSTS_CONTAINER);
  await hosts.createIfNotExists();
  const checkpoint = new Checkpoint(
    hosts.getBlockBlobClient(`eventgrid-standin/${ctx.hostId}/${sub.functionName}.json`),
  );
  await checkpoint.load();
  const container = blobs.getContainerClient(sub.container);
  const account = accountOf(blobs);
  const pending = new Set<string>(); // name@etag being delivered or waiting for a retry
  const running = new Set<Promise<void>>();
  let counter = 0;
  let lastFlush = 0;

  const answerLimitMs = ctx.eventGridAnswerLimitMs ?? ANSWER_LIMIT_MS;
  const deliver = async (event: BlobCreatedEvent): Promise<void> => {
    const firstAt = Date.now();
    for (let attempt = 1; !ctx.signal.aborted; attempt++) {
      const invocation = ctx.inflight.track(
        invokeFunction(
          ctx.registry,
          bound.fn,
          {
            inputData: [{ name: bound.triggerName, data: typedJson(event) }],
            triggerMetadata: { data: typedJson(event.data) },
          },
          ctx.logger,
          { timeoutMs: ctx.config.functionTimeoutMs },
        ),
      );
      const answer = await Promise.race([invocation, sleep(answerLimitMs, ctx.signal).then(() => undefined)]);
      let ok = answer?.ok === true;
      // When the next attempt is due: Event Grid's schedule counts from the failure it saw (an
      // error answer, or the answer limit passing).
      const dueAt = Date.now() + retryDelayMs(attempt);
      if (answer === undefined && !ctx.signal.aborted) {
        ctx.logger.warn(
          `Event ${event.id} to "${sub.functionName}" got no answer within ${answerLimitMs / 1000} s; Event Grid retries in ${retryDelayMs(attempt) / 1000} s while the invocation goes on.`,
        );
        // A success before the retry is due cancels it; one after it does not.
        ok = await Promise.race([
          invocation.then((o) => o.ok),
          sleep(retryDelayMs(attempt), ctx.signal).then(() => false),
        ]);
      }
      if (ok) {
        checkpoint.mark(nameOf(event), event.data.eTag);
        return;
      }
      if (ctx.signal.aborted) break;
      if (attempt >= MAX_ATTEMPTS || Date.now() - firstAt + retryDelayMs(attempt) > TTL_MS) {
        ctx.logger.error(
          `Event ${event.id} for ${event.subject} was not delivered after ${attempt} attempts; Event Grid drops it (no dead-letter destination).`,
        );
        return;
      }
      if (answer !== undefined)
        ctx.logger.warn(
          `Delivery of event ${event.id} to "${sub.functionName}" failed; Event Grid retries in ${retryDelayMs(attempt) / 1000} s.`,
        );
      await sleep(dueAt - Date.now(), ctx.signal);
    }
    // Stopped before delivery: not checkpointed, so the next start delivers it again.
  };

  const start = (blob: ListedBlob) => {
    const key = `${blob.name}@${blob.etag}`;
    pending.add(key);
    // Ordered per blob name, as Event Grid's: a newer version of a name is always found after an
    // older one, and the clock moves on across restarts (listings give Last-Modified to the second only).
    const sequencer =
      Date.now().toString(16).padStart(16, '0') + (counter++ % 2 ** 32).toString(16).padStart(16, '0');
    const url = container.getBlobClient(blob.name).url;
    const work = ctx.inflight
      .track(deliver(blobCreatedEvent(account, url, sub.container, blob, sequencer)))
      .finally(() => {
        pending.delete(key);
        running.delete(work);
        pump();
      });
    running.add(work);
  };

  // The lister thread finds changes; this loop delivers them, at most MAX_CONCURRENT at a time.
  const backlog: ListedBlob[] = [];
  const pump = (): void => {
    while (running.size < MAX_CONCURRENT && backlog.length > 0) start(backlog.shift()!);
  };
  subscribe((m) => {
    for (const name of m.removed) checkpoint.forget(name);
    for (const blob of m.changed) {
      if (checkpoint.wants(blob) && !pending.has(`${blob.name}@${blob.etag}`)) backlog.push(blob);
    }
    pump();
  });
  while (!ctx.signal.aborted) {
    await checkpointIfDue().catch((err: unknown) =>
      ctx.logger.error('Writing the Event Grid stand-in checkpoint failed.', err),
    );
    await sleep(SCAN_INTERVAL_MS, ctx.signal);
  }
  await Promise.all(running);
  await checkpoint.flush().catch(() => undefined);

  async function checkpointIfDue(): Promise<void> {
    if (Date.now() - lastFlush < CHECKPOINT_INTERVAL_MS) return;
    lastFlush = Date.now();
    await checkpoint.flush();
  }
}

const nameOf = (event: BlobCreatedEvent): string => event.subject.split('/blobs/')[1];

/** Starts the stand-in for every subscription whose function is an Event Grid trigger of this app. */
export function startEventGridTriggers(
  ctx: TriggerContext,
  functions: BoundFunction[],
  subscriptions: EventGridSubscription[],
): Promise<void>[] {
  const byName = new Map(functions.map((b) => [b.fn.metadata.name, b]));
  for (const b of functions) {
    if (!subscriptions.some((s) => s.functionName === b.fn.metadata.name)) {
      ctx.logger.warn(
        `Event Grid function "${b.fn.metadata.name}" has no subscription: nothing will invoke it (as in Azure).`,
      );
    }
  }
  const active = subscriptions.filter((s) => byName.has(s.functionName));
  if (active.length === 0) return [];
  // One lister thread finds the changes of every subscribed container. Changes that arrive
  // before a subscription has loaded its checkpoint wait for it.
  const handlers = new Map<string, ((m: Changes) => void)[]>();
  const early = new Map<string, Changes[]>();
  const data: ListerData = {
    connectionString: ctx.connectionString!,
    containers: [...new Set(active.map((s) => s.container))],
    intervalMs: SCAN_INTERVAL_MS,
  };
  const onMessage = (m: ListerMessage): void => {
    if (m.kind === 'thread')
      ctx.logger.info(
        `Event Grid stand-in: watching ${data.containers.map((c) => `"${c}"`).join(', ')} (lister thread ${m.tid ?? '?'}).`,
      );
    else if (m.kind === 'error')
      ctx.logger.error(`Watching container "${m.container}" failed; retrying: ${m.message}`);
    else if (handlers.has(m.container)) for (const handle of handlers.get(m.container)!) handle(m);
    else early.set(m.container, [...(early.get(m.container) ?? []), m]);
  };
  // The thread starts a moment after the host, so that loading it (a second copy of the storage
  // SDK) never competes with the app's own start on a small machine.
  let lister: Worker | undefined;
  const timer = setTimeout(() => {
    lister = new Worker(compiledEntry(__dirname, 'blobLister.js'), { workerData: data });
    lister.on('message', onMessage);
    lister.on('error', (err) => ctx.logger.error("The Event Grid stand-in's lister thread stopped.", err));
  }, LISTER_START_DELAY_MS);
  const runs = active.map((s) =>
    runSubscription(ctx, byName.get(s.functionName)!, s, (handle) => {
      handlers.set(s.container, [...(handlers.get(s.container) ?? []), handle]);
      for (const m of early.get(s.container) ?? []) handle(m);
    }),
  );
  return [
    Promise.all(runs).then(async () => {
      clearTimeout(timer);
      await lister?.terminate();
    }),
  ];
}
