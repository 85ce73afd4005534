/**
 * `app.eventGrid` functions subscribed to a container's Microsoft.Storage.BlobCreated and/or
 * Microsoft.Storage.BlobDeleted events. Azurite has no Event Grid, so this stands in for both
 * Event Grid and the host's Event Grid extension, with their observable rules:
 *  - Event Grid: one BlobCreated per new blob version and one BlobDeleted per blob that goes, in
 *    the Event Grid schema exactly as the published samples (test/fixtures/triggers/
 *    eventgrid-blob-created.json and eventgrid-blob-deleted.json: a deletion has no eTag and no
 *    contentLength); a subscription gets only the types it includes (`eventTypes`). Each event's
 *    `sequencer` orders it among the events of its blob name, whichever subscription gets them.
 *    At-least-once, and a failed delivery is retried on Event Grid's schedule (10 s, 30 s,
 *    1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h, then every 12 h) for up to 30 attempts or 24
 *    hours, then dropped (learn.microsoft.com/azure/event-grid/delivery-and-retry). A delivery
 *    not answered within 30 s counts as failed and is retried on that schedule while the first
 *    invocation goes on; a success that arrives before the retry is due cancels it (Event Grid
 *    removes it "on a best-effort basis" when the answer comes within 3 minutes). No BlobCreated
 *    is sent for a blob written before the subscription existed: the first start on an account
 *    creates it (a blob that existed then still gets its BlobDeleted when it goes).
 *  - The extension (Microsoft.Azure.WebJobs.Extensions.EventGrid): one invocation per event,
 *    the event as RPC `json` and trigger metadata `data` only; a thrown handler is a failed
 *    delivery (the webhook answers 500).
 *  - Flex Consumption caps concurrent HTTP-style invocations per instance (16 by default at
 *    2,048 MB), so at most 16 deliveries run at once here.
 * Changes are found by listing each subscribed container every 250 ms, on a thread of its own
 * (triggers/blobLister.ts); what was delivered is checkpointed in
 * `azure-webjobs-hosts/eventgrid-standin/<hostId>/<function>.json` (debounced), so a restart
 * neither loses nor re-floods events. For deletions the checkpoint keeps every name it has
 * listed, and a name that goes stays in it, as a deletion owed, until its BlobDeleted is
 * delivered; on a start, a known name missing from the first complete listing is owed one too.
 * So a crash at any point (before the checkpoint is written, during a delivery) delivers the
 * deletion again, never loses it.
 * Limits of finding changes by listing, which Event Grid does not have: a blob created and
 * deleted between two listings (250 ms) gets no event at all, and a blob rewritten (or deleted
 * and written again) between two listings, or while no host runs, is one new version: one
 * BlobCreated, no BlobDeleted. The listing and the checkpoint are this stand-in's own cost; in
 * Azure, Event Grid pushes and the app reads nothing to find changes.
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

export type BlobEventType = 'Microsoft.Storage.BlobCreated' | 'Microsoft.Storage.BlobDeleted';

/** Which container's blob events reach which function (scripts/postdeploy.* creates the same in Azure). */
export interface EventGridSubscription {
  functionName: string;
  container: string;
  /** The event types it includes (`--included-event-types`). Default: BlobCreated only. */
  eventTypes?: readonly BlobEventType[];
}

const DEFAULT_EVENT_TYPES: readonly BlobEventType[] = ['Microsoft.Storage.BlobCreated'];

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

const topicOf = (account: string): string =>
  `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/${account}`;

/**
 * An event id derived from what the event is about, so the delivery that follows a crash of this
 * host carries the same id, as Event Grid's redelivery of an unanswered event does.
 */
function eventId(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** One BlobCreated event in the Event Grid schema, field for field as the published sample; one write is one event. */
export function blobCreatedEvent(
  account: string,
  url: string,
  container: string,
  blob: Omit<ListedBlob, 'sequencer'>,
  sequencer: string,
) {
  return {
    topic: topicOf(account),
    subject: `/blobServices/default/containers/${container}/blobs/${blob.name}`,
    eventType: 'Microsoft.Storage.BlobCreated' as const,
    eventTime: new Date().toISOString(),
    id: eventId(`${account}/${container}/${blob.name}@${blob.etag}`),
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

/** A blob gone from a container, as the checkpoint keeps it until its BlobDeleted is delivered. */
export interface GoneBlob {
  name: string;
  /** The last version listed (the event's id is derived from it). */
  etag: string;
  contentType?: string;
  sequencer: string;
}

/**
 * One BlobDeleted event in the Event Grid schema, field for field as the published sample:
 * no eTag, no contentLength, no clientRequestId; the deleted blob's content type.
 */
export function blobDeletedEvent(account: string, url: string, container: string, gone: GoneBlob) {
  return {
    topic: topicOf(account),
    subject: `/blobServices/default/containers/${container}/blobs/${gone.name}`,
    eventType: 'Microsoft.Storage.BlobDeleted' as const,
    eventTime: new Date().toISOString(),
    id: eventId(`${account}/${container}/${gone.name}@${gone.etag} deleted`),
    data: {
      api: 'DeleteBlob',
      requestId: randomUUID(),
      contentType: gone.contentType ?? 'application/octet-stream',
      blobType: 'BlockBlob',
      url,
      sequencer: gone.sequencer,
      storageDiagnostics: { batchId: randomUUID() },
    },
    dataVersion: '',
    metadataVersion: '1',
  };
}

type BlobEvent = ReturnType<typeof blobCreatedEvent> | ReturnType<typeof blobDeletedEvent>;

/** What a checkpoint blob holds (older ones: `delivered` only, or the bare map before `createdAt` was kept). */
interface SavedCheckpoint {
  createdAt: number;
  delivered: Record<string, string>;
  /** Deletion subscriptions: every name listed, as [ETag, content type]. */
  listed?: Record<string, [string, string?]>;
  /** Deletion subscriptions: BlobDeleted events owed (found, not delivered yet). */
  gone?: GoneBlob[];
  /** Creation subscriptions: BlobCreated events owed (found, not delivered yet). */
  created?: ListedBlob[];
}

const goneKey = (g: Pick<GoneBlob, 'name' | 'etag'>): string => `${g.name}@${g.etag}`;

class Checkpoint {
  /** BlobCreated delivered: name to the ETag of the version delivered. */
  #delivered = new Map<string, string>();
  /** Deletion subscriptions: every name the listings showed, to its last ETag and content type. */
  #listed = new Map<string, [string, string?]>();
  /** Deletion subscriptions: BlobDeleted events owed, by name@ETag. */
  #gone = new Map<string, GoneBlob>();
  /** BlobCreated events owed, by name@ETag: Event Grid retries an event, whatever became of its blob. */
  #created = new Map<string, ListedBlob>();
  #dirty = false;
  /** When the subscription was created (ms): blobs last written before it get no BlobCreated. */
  createdAt = 0;
  constructor(private readonly blob: ReturnType<ContainerClient['getBlockBlobClient']>) {}

  /** Reads the checkpoint; on the first start there is none, and the subscription is created now. */
  async load(): Promise<void> {
    try {
      const saved = JSON.parse((await this.blob.downloadToBuffer()).toString('utf8')) as
        SavedCheckpoint | Record<string, string>; // before createdAt was kept: a subscription from the start
      const current = typeof saved.createdAt === 'number' && typeof saved.delivered === 'object';
      const full = current ? (saved as SavedCheckpoint) : undefined;
      this.createdAt = full?.createdAt ?? 0;
      this.#delivered = new Map(Object.entries(full?.delivered ?? (saved as Record<string, string>)));
      this.#listed = new Map(Object.entries(full?.listed ?? {}));
      this.#gone = new Map((full?.gone ?? []).map((g) => [goneKey(g), g]));
      this.#created = new Map((full?.created ?? []).map((b) => [goneKey(b), b]));
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      // Written at once: a crash before the first flush must not move the subscription's birth.
      this.createdAt = Date.now();
      this.#dirty = true;
      await this.flush();
    }
  }
  /** Whether Event Grid would send a BlobCreated for this version: written since the subscription, and not delivered yet. */
  wants(blob: ListedBlob): boolean {
    // Last-Modified has whole seconds: a blob of the subscription's own second gets its event.
    if (blob.lastModified < Math.floor(this.createdAt / 1000) * 1000) return false;
    return this.#delivered.get(blob.name) !== blob.etag;
  }
  /** A BlobCreated is owed from now on, until it is delivered (mark()), across restarts. */
  owe(blob: ListedBlob): void {
    this.#created.set(goneKey(blob), blob);
    this.#dirty = true;
  }
  /** The BlobCreated events owed since before this start. */
  owedCreated(): ListedBlob[] {
    return [...this.#created.values()];
  }
  mark(name: string, etag: string): void {
    this.#delivered.set(name, etag);
    this.#created.delete(goneKey({ name, etag }));
    this.#dirty = true;
  }
  /** Forgets a blob that no longer exists, so the checkpoint stays the size of the container (BlobCreated only). */
  forget(name: string): void {
    if (this.#delivered.delete(name)) this.#dirty = true;
  }
  /** Deletion subscriptions: a name the listing shows, in its current version. */
  listed(blob: ListedBlob): void {
    const known = this.#listed.get(blob.name);
    if (known?.[0] === blob.etag && known[1] === blob.contentType) return;
    this.#listed.set(blob.name, [blob.etag, blob.contentType]);
    this.#dirty = true;
  }
  /**
   * Deletion subscriptions: a known name is gone. It moves from the listed names to the
   * deletions owed, where it stays until its BlobDeleted is delivered (deleted()).
   */
  removed(name: string, sequencer: string): GoneBlob | undefined {
    const known = this.#listed.get(name);
    if (!known) return undefined;
    this.#listed.delete(name);
    const gone: GoneBlob = { name, etag: known[0], contentType: known[1], sequencer };
    this.#gone.set(goneKey(gone), gone);
    this.#dirty = true;
    return gone;
  }
  /** Deletion subscriptions, on a start: every known name the first complete listing lacks is gone. */
  missingFrom(names: ReadonlySet<string>, sequencer: string): GoneBlob[] {
    return [...this.#listed.keys()]
      .filter((name) => !names.has(name))
      .flatMap((name) => this.removed(name, sequencer) ?? []);
  }
  /** The BlobDeleted events owed since before this start. */
  owed(): GoneBlob[] {
    return [...this.#gone.values()];
  }
  /** A BlobDeleted was delivered: nothing more is owed for that version. */
  deleted(gone: GoneBlob): void {
    this.#gone.delete(goneKey(gone));
    if (this.#delivered.get(gone.name) === gone.etag) this.#delivered.delete(gone.name);
    this.#dirty = true;
  }
  #saving?: Promise<void>;
  /** Saves what changed; with nothing new, waits for the save in flight (which may fail: then it is dirty again). */
  async flush(): Promise<void> {
    if (!this.#dirty) return this.#saving;
    this.#dirty = false;
    const saved: SavedCheckpoint = {
      createdAt: this.createdAt,
      delivered: Object.fromEntries(this.#delivered),
    };
    if (this.#listed.size > 0) saved.listed = Object.fromEntries(this.#listed);
    if (this.#gone.size > 0) saved.gone = [...this.#gone.values()];
    if (this.#created.size > 0) saved.created = [...this.#created.values()];
    const body = JSON.stringify(saved);
    this.#saving = this.blob.upload(body, Buffer.byteLength(body)).then(
      () => undefined,
      (err: unknown) => {
        this.#dirty = true;
        throw err;
      },
    );
    await this.#saving;
  }
}

function accountOf(blobs: BlobServiceClient): string {
  const url = new URL(blobs.url);
  return url.pathname.split('/').filter(Boolean)[0] ?? url.hostname.split('.')[0];
}

type Changes = Extract<ListerMessage, { kind: 'changes' }>;

/** A change waiting for a delivery slot. */
type Work = { kind: 'created'; blob: ListedBlob } | { kind: 'deleted'; gone: GoneBlob };

/**
 * Per container: settles once its subscriptions have saved what the listings found so far (the
 * deletion subscriptions every name, the creation ones every BlobCreated owed). A BlobCreated
 * waits for it before it is delivered, so after a crash neither is forgotten: a BlobCreated
 * once found is sent again even if its blob is gone since, and a name whose result exists gets
 * its BlobDeleted (Event Grid keeps both, whoever was listening).
 */
type ListedSaved = Map<string, Promise<void>>;

async function runSubscription(
  ctx: TriggerContext,
  bound: BoundFunction,
  sub: EventGridSubscription,
  subscribe: (onChanges: (m: Changes) => void) => void,
  listedSaved: ListedSaved,
): Promise<void> {
  requireStorage(ctx, `Event Grid trigger "${sub.functionName}"`);
  const types = sub.eventTypes ?? DEFAULT_EVENT_TYPES;
  const wantsCreated = types.includes('Microsoft.Storage.BlobCreated');
  const wantsDeleted = types.includes('Microsoft.Storage.BlobDeleted');
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
  const pending = new Set<string>(); // what is being delivered or waiting for a retry (keyOf)
  const running = new Set<Promise<void>>();
  let lastFlush = 0;

  const answerLimitMs = ctx.eventGridAnswerLimitMs ?? ANSWER_LIMIT_MS;
  /** Delivers one event until it is answered with success (then `onDelivered`), dropped, or the host stops. */
  const deliver = async (event: BlobEvent, onDelivered: () => void): Promise<void> => {
    if (event.eventType === 'Microsoft.Storage.BlobCreated') {
      await Promise.resolve(); // every subscription has seen the listing that found this version
      // Until the latest save has settled: one may start while an earlier one is awaited.
      for (let saved; (saved = listedSaved.get(sub.container)) !== undefined;) {
        await saved;
        if (listedSaved.get(sub.container) === saved) break;
      }
    }
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
        onDelivered();
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

  const keyOf = (work: Work): string =>
    work.kind === 'created' ? `${work.blob.name}@${work.blob.etag}` : `${goneKey(work.gone)} deleted`;

  const start = (work: Work) => {
    const key = keyOf(work);
    pending.add(key);
    const name = work.kind === 'created' ? work.blob.name : work.gone.name;
    const url = container.getBlobClient(name).url;
    const delivery =
      work.kind === 'created'
        ? deliver(blobCreatedEvent(account, url, sub.container, work.blob, work.blob.sequencer), () =>
            checkpoint.mark(work.blob.name, work.blob.etag),
          )
        : deliver(blobDeletedEvent(account, url, sub.container, work.gone), () =>
            checkpoint.deleted(work.gone),
          );
    const tracked = ctx.inflight.track(delivery).finally(() => {
      pending.delete(key);
      running.delete(tracked);
      pump();
    });
    running.add(tracked);
  };

  // The lister thread finds changes; this loop delivers them, at most MAX_CONCURRENT at a time.
  const backlog: Work[] = [];
  const queued = new Set<string>(); // keyOf the backlog's work
  const enqueue = (work: Work): void => {
    const key = keyOf(work);
    if (pending.has(key) || queued.has(key)) return;
    queued.add(key);
    backlog.push(work);
  };
  const pump = (): void => {
    while (running.size < MAX_CONCURRENT && backlog.length > 0) {
      const work = backlog.shift()!;
      queued.delete(keyOf(work));
      start(work);
    }
  };
  // Deletions found before a crash or stop and not delivered yet come first.
  if (wantsDeleted) for (const gone of checkpoint.owed()) enqueue({ kind: 'deleted', gone });
  // So do BlobCreated events found and not delivered, even for a blob deleted since: Event Grid
  // retries an event it has sent until it is answered, whatever became of the blob.
  if (wantsCreated) for (const blob of checkpoint.owedCreated()) enqueue({ kind: 'created', blob });
  subscribe((m) => {
    if (wantsDeleted) {
      for (const blob of m.changed) checkpoint.listed(blob);
      if (m.changed.length > 0) saving(saveUntilDone());
      const gone = m.removed.flatMap((r) => checkpoint.removed(r.name, r.sequencer) ?? []);
      // A name known from before this start that the first complete listing lacks went while no
      // host listed (or after the last checkpoint was written): its deletion is owed.
      if (m.first) gone.push(...checkpoint.missingFrom(new Set(m.changed.map((b) => b.name)), m.sequencer));
      for (const g of gone) enqueue({ kind: 'deleted', gone: g });
    } else {
      for (const r of m.removed) checkpoint.forget(r.name);
    }
    if (wantsCreated) {
      const found = m.changed.filter((blob) => checkpoint.wants(blob));
      for (const blob of found) checkpoint.owe(blob);
      if (found.length > 0) saving(saveUntilDone());
      for (const blob of found) enqueue({ kind: 'created', blob });
    }
    pump();
  });
  pump();
  while (!ctx.signal.aborted) {
    await checkpointIfDue().catch((err: unknown) =>
      ctx.logger.error('Writing the Event Grid stand-in checkpoint failed.', err),
    );
    await sleep(SCAN_INTERVAL_MS, ctx.signal);
  }
  await Promise.all(running);
  await checkpoint.flush().catch(() => undefined);

  /** A save every BlobCreated of the container now waits for, with those already pending. */
  function saving(save: Promise<void>): void {
    const before = listedSaved.get(sub.container);
    listedSaved.set(sub.container, before ? Promise.all([before, save]).then(() => undefined) : save);
  }

  /** Saves the checkpoint, again every 250 ms while storage refuses, until it is saved or the host stops. */
  async function saveUntilDone(): Promise<void> {
    while (!ctx.signal.aborted) {
      try {
        return await checkpoint.flush();
      } catch {
        await sleep(SCAN_INTERVAL_MS, ctx.signal);
      }
    }
  }

  async function checkpointIfDue(): Promise<void> {
    if (Date.now() - lastFlush < CHECKPOINT_INTERVAL_MS) return;
    lastFlush = Date.now();
    await checkpoint.flush();
  }
}

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
  // One lister thread finds the changes of every subscribed container; each subscription of a
  // container gets every message. Changes that arrive before a subscription has loaded its
  // checkpoint wait for it (its own queue: two functions may watch one container).
  const handlers = new Map<string, (m: Changes) => void>();
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
    else
      for (const s of active.filter((a) => a.container === m.container)) {
        const handle = handlers.get(s.functionName);
        if (handle) handle(m);
        else early.set(s.functionName, [...(early.get(s.functionName) ?? []), m]);
      }
  };
  // The thread starts a moment after the host, so that loading it (a second copy of the storage
  // SDK) never competes with the app's own start on a small machine.
  let lister: Worker | undefined;
  const timer = setTimeout(() => {
    lister = new Worker(compiledEntry(__dirname, 'blobLister.js'), { workerData: data });
    lister.on('message', onMessage);
    lister.on('error', (err) => ctx.logger.error("The Event Grid stand-in's lister thread stopped.", err));
  }, LISTER_START_DELAY_MS);
  // Until a deletion subscription has loaded its checkpoint and taken the changes found before,
  // BlobCreated events of its container wait (see ListedSaved).
  const listedSaved: ListedSaved = new Map();
  const loaded = new Map<string, () => void>();
  for (const s of active.filter((s) => s.eventTypes?.includes('Microsoft.Storage.BlobDeleted')))
    listedSaved.set(s.container, new Promise((resolve) => loaded.set(s.functionName, resolve)));
  const runs = active.map((s) =>
    runSubscription(
      ctx,
      byName.get(s.functionName)!,
      s,
      (handle) => {
        handlers.set(s.functionName, handle);
        for (const m of early.get(s.functionName) ?? []) handle(m);
        early.delete(s.functionName);
        loaded.get(s.functionName)?.();
      },
      listedSaved,
    ),
  );
  return [
    Promise.all(runs).then(async () => {
      clearTimeout(timer);
      await lister?.terminate();
    }),
  ];
}
