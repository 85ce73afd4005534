/**
 * Polls one storage queue with the Storage Queues extension's semantics (QueueListener /
 * QueueProcessor in azure-sdk-for-net `Microsoft.Azure.WebJobs.Extensions.Storage.Queues`):
 * - receive `batchSize` messages; fetch again once running messages drop to `newBatchThreshold`;
 * - when a poll finds nothing, wait with exponential backoff from 100 ms up to `maxPollingInterval`;
 * - keep a running message invisible (lease, renewed at half its length; the host uses 10 min);
 * - success: delete; failure: make visible again after `visibilityTimeout`; a failure at
 *   `dequeueCount >= maxDequeueCount` (or a message already past it) moves the message to
 *   `<queue>-poison` and deletes it; a body that is not valid base64 goes to poison directly.
 * A missing queue counts as empty, as in the host (it does not create trigger queues).
 */
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { QueuesConfig } from '../hostConfig';
import { sleep, type InflightTracker } from '../inflight';
import type { HostLogger } from '../log';

/** Handles one decoded message; resolves true on success. Must not throw. */
export type QueueMessageProcessor = (message: DequeuedMessageItem, body: Buffer) => Promise<boolean>;

export interface QueueListenerOptions {
  queue: QueueClient;
  poisonQueue: QueueClient;
  config: QueuesConfig;
  process: QueueMessageProcessor;
  logger: HostLogger;
  inflight: InflightTracker;
  signal: AbortSignal;
  /** Invisibility while a message runs, renewed at half. Default 60 s. */
  leaseMs?: number;
  /** First backoff step after an empty poll. Default 100 ms. */
  minPollingIntervalMs?: number;
}

const isBase64 = (text: string): boolean => text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);

function decode(text: string, encoding: QueuesConfig['messageEncoding']): Buffer | undefined {
  if (encoding === 'none') return Buffer.from(text, 'utf8');
  return isBase64(text) ? Buffer.from(text, 'base64') : undefined;
}

async function moveToPoison(
  o: QueueListenerOptions,
  m: DequeuedMessageItem,
  popReceipt: string,
  why: string,
) {
  await o.poisonQueue.createIfNotExists();
  await o.poisonQueue.sendMessage(m.messageText);
  await o.queue.deleteMessage(m.messageId, popReceipt);
  o.logger.warn(`Message ${m.messageId} moved to queue "${o.poisonQueue.name}": ${why}.`);
}

async function handleMessage(o: QueueListenerOptions, m: DequeuedMessageItem): Promise<void> {
  const { maxDequeueCount, visibilityTimeoutMs, messageEncoding } = o.config;
  let popReceipt = m.popReceipt;
  if (m.dequeueCount > maxDequeueCount) {
    return moveToPoison(
      o,
      m,
      popReceipt,
      `dequeued ${m.dequeueCount} times (maxDequeueCount ${maxDequeueCount})`,
    );
  }
  const body = decode(m.messageText, messageEncoding);
  if (!body)
    return moveToPoison(o, m, popReceipt, 'its text is not base64 (host.json messageEncoding is base64)');
  const leaseMs = o.leaseMs ?? 60_000;
  const renew = setInterval(() => {
    o.queue.updateMessage(m.messageId, popReceipt, undefined, Math.ceil(leaseMs / 1000)).then(
      (r) => (popReceipt = r.popReceipt ?? popReceipt),
      (err: unknown) => o.logger.warn(`Could not renew the lease of message ${m.messageId}: ${String(err)}`),
    );
  }, leaseMs / 2);
  let ok: boolean;
  try {
    ok = await o.process({ ...m, popReceipt }, body);
  } finally {
    clearInterval(renew);
  }
  if (ok) await o.queue.deleteMessage(m.messageId, popReceipt);
  else if (m.dequeueCount >= maxDequeueCount) {
    await moveToPoison(
      o,
      m,
      popReceipt,
      `failed ${m.dequeueCount} times (maxDequeueCount ${maxDequeueCount})`,
    );
  } else
    await o.queue.updateMessage(m.messageId, popReceipt, undefined, Math.floor(visibilityTimeoutMs / 1000));
}

async function receive(o: QueueListenerOptions): Promise<DequeuedMessageItem[]> {
  try {
    const leaseSeconds = Math.ceil((o.leaseMs ?? 60_000) / 1000);
    const r = await o.queue.receiveMessages({
      numberOfMessages: o.config.batchSize,
      visibilityTimeout: leaseSeconds,
    });
    return r.receivedMessageItems;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return [];
    throw err;
  }
}

/** Runs until `signal` aborts; returns once polling stopped (running messages are in `inflight`). */
export async function runQueueListener(o: QueueListenerOptions): Promise<void> {
  const minDelay = o.minPollingIntervalMs ?? 100;
  let delay = minDelay;
  const running = new Set<Promise<void>>();
  while (!o.signal.aborted) {
    let messages: DequeuedMessageItem[] = [];
    try {
      messages = await receive(o);
    } catch (err) {
      o.logger.error(`Polling queue "${o.queue.name}" failed; retrying.`, err);
    }
    for (const m of messages) {
      const work = handleMessage(o, m).catch((err: unknown) =>
        o.logger.error(`Completing message ${m.messageId} of queue "${o.queue.name}" failed.`, err),
      );
      running.add(work);
      void work.then(() => running.delete(work));
      void o.inflight.track(work);
    }
    while (running.size > o.config.newBatchThreshold && !o.signal.aborted) await Promise.race(running);
    if (messages.length > 0) delay = minDelay;
    else {
      await sleep(delay * (0.8 + Math.random() * 0.4), o.signal);
      delay = Math.min(delay * 2, Math.max(o.config.maxPollingIntervalMs, minDelay));
    }
  }
}
