/**
 * After a fix (the receiver's URL or secret, the topic's role), sends the facts on
 * `events-poison` to `events` again, with a fresh retry schedule: each is delivered with the
 * id it always had, so a subscriber that took some of them drops the duplicates.
 */
import { decodeQueueMessage } from '../queue/encoding';
import type { StorageClients } from '../storage/clients';
import { storageNames } from '../storage/names';
import { parseEventsMessage, send } from './outbox';

export interface ReplayEventsResult {
  /** The facts sent again: `job/<id>` or `result/<id>`. */
  replayed: string[];
  /** Not events messages; left on events-poison for a person to look at. */
  unreadable: number;
}

export async function replayEventsPoison(
  storage: StorageClients,
  options: { max?: number; abortSignal?: AbortSignal } = {},
): Promise<ReplayEventsResult> {
  const poison = storage.queues.getQueueClient(storageNames.eventsPoisonQueue);
  const max = options.max ?? 1000;
  const outcome: ReplayEventsResult = { replayed: [], unreadable: 0 };
  for (let seen = 0; seen < max;) {
    const { receivedMessageItems: items } = await poison.receiveMessages({
      numberOfMessages: Math.min(32, max - seen),
      visibilityTimeout: 60,
      abortSignal: options.abortSignal,
    });
    if (items.length === 0) break;
    for (const item of items) {
      seen++;
      let facts;
      try {
        ({ facts } = parseEventsMessage(decodeQueueMessage(item.messageText)));
      } catch {
        outcome.unreadable++;
        continue;
      }
      // Every configured sink again: the one that failed, and any added since.
      await send(storage, { facts });
      outcome.replayed.push(
        ...facts.map((f) => (f.kind === 'job' ? `job/${f.jobId}` : `result/${f.result.id}`)),
      );
      // Deleted last: a crash in between leaves a duplicate (same ids), never a loss.
      await poison.deleteMessage(item.messageId, item.popReceipt, { abortSignal: options.abortSignal });
    }
  }
  return outcome;
}
