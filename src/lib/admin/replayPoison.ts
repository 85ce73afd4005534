/**
 * After a fix, moves `classify-poison` messages back to `classify`. A message reaches poison
 * after its last attempt marked its row `failed` (internal_error), and the worker skips rows
 * that are already terminal, so each replayed image's row is first put back to `queued`.
 * Messages whose row succeeded meanwhile, or failed for a reason in the image itself (a code
 * other than internal_error, which no retry changes), are dropped from poison, not replayed.
 */
import { parseClassifyMessage, resultIdsOf, type ClassifyMessage } from '../queue/classifyMessage';
import { decodeQueueMessage } from '../queue/encoding';
import type { Services } from '../services';
import { storageNames } from '../storage/names';

export interface ReplayPoisonOptions {
  /** Most messages to handle in one call (default 1000); call again for more. */
  max?: number;
  abortSignal?: AbortSignal;
}

export interface ReplayPoisonResult {
  /** Sent back to `classify`, their rows reset to `queued`. */
  replayed: string[];
  /** Removed from poison: already succeeded, or failed for a reason in the image. */
  dropped: string[];
  /** Not JSON classify messages; left in poison for a person to look at. */
  unreadable: number;
}

/** The most messages one call may be asked to handle. */
export const MAX_REPLAY = 100_000;

/** Receive batch size: the queue service's maximum. */
const BATCH = 32;

export async function replayPoison(
  services: Services,
  options: ReplayPoisonOptions = {},
): Promise<ReplayPoisonResult> {
  const { queues } = services.storage;
  const poison = queues.getQueueClient(storageNames.classifyPoisonQueue);
  const work = queues.getQueueClient(storageNames.classifyQueue);
  const max = options.max ?? 1000;
  const outcome: ReplayPoisonResult = { replayed: [], dropped: [], unreadable: 0 };
  const { abortSignal } = options;
  let seen = 0;
  while (seen < max) {
    // Received messages stay invisible for 60 s: unreadable ones are skipped for the rest of this call.
    const { receivedMessageItems: items } = await poison.receiveMessages({
      numberOfMessages: Math.min(BATCH, max - seen),
      visibilityTimeout: 60,
      abortSignal,
    });
    if (items.length === 0) break;
    for (const item of items) {
      seen++;
      const message = readMessage(item.messageText);
      if (!message) {
        outcome.unreadable++;
        continue;
      }
      // A job message holds several images: it is replayed when any of them needs it.
      const ids = resultIdsOf(message);
      const reset = await Promise.all(ids.map((id) => resetForReplay(services, id)));
      if (reset.some(Boolean)) await work.sendMessage(item.messageText, { abortSignal });
      ids.forEach((id, i) => (reset[i] ? outcome.replayed : outcome.dropped).push(id));
      // Deleted last: a crash in between leaves a duplicate, which the worker drops, never a loss.
      await poison.deleteMessage(item.messageId, item.popReceipt, { abortSignal });
    }
  }
  return outcome;
}

function readMessage(text: string): ClassifyMessage | undefined {
  try {
    return parseClassifyMessage(decodeQueueMessage(text));
  } catch {
    return undefined;
  }
}

/**
 * Puts a failed-with-internal_error (or missing, or stuck) row back to `queued`; false when
 * replay is pointless: the row is terminal for good (then its job must have counted it: a
 * count that threw on the last attempt is made here), or its job was cancelled or stopped
 * (whose worker would skip the image and leave the row queued for ever).
 */
async function resetForReplay(services: Services, resultId: string): Promise<boolean> {
  const { results, jobCounter, jobStatus } = services;
  for (let attempt = 0; attempt < 5; attempt++) {
    const record = await results.get(resultId);
    if (!record) return true; // the worker creates it
    const { status, error, jobId } = record.result;
    if (status === 'succeeded' || (status === 'failed' && error?.code !== 'internal_error')) {
      if (jobId) await jobCounter.record(record.result); // idempotent: counted once
      return false;
    }
    if (jobId && (await jobStatus.stopped(jobId))) return false;
    const { error: _e, completedAt: _c, predictions: _p, ...rest } = record.result;
    if (await results.update({ ...rest, status: 'queued' }, record.etag, { blob: record.blob })) {
      await services.search.remove([record.result]); // its next outcome is indexed afresh
      return true;
    }
  }
  return true; // the row keeps changing: someone is working on it, and a duplicate message is harmless
}
