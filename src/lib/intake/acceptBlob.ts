/**
 * A new blob version in a watched container (upload or drop folder), from its BlobCreated
 * event: classified right here, inline, so the common case costs one claim, one read, one row
 * and one JSON blob. The event's facts (size, ETag, sequencer) decide before any byte is read:
 * an upload name this app never issued is ignored, an empty or oversize blob fails at once.
 * What cannot finish here is handed to the `classify` queue, whose worker retries it with
 * attempts, poison and replay: a retryable fault, or a claim another delivery holds. Only when
 * even that hand-off fails does the error reach Event Grid, which redelivers for up to a day.
 * Event Grid waits 30 s for an answer and then delivers again, so a classification still going
 * after `answerWithinMs` (a cold instance, a large image, a queue of decodes) is left to finish
 * on its own while the queue gets the work too, due when its claim's lease ends: whichever
 * finishes first records the result, the other finds it done.
 */
import { settledWithin } from '../concurrency';
import type { DecodeLimits } from '../decode/limits';
import { ModelUnavailableError } from '../classify/models';
import { toClassifierError } from '../errors';
import { enqueueClassify } from '../queue/classifyMessage';
import { resultIdForBlob } from '../results/ids';
import type { Services } from '../services';
import { processBlob } from '../worker/processBlob';
import type { BlobWork } from '../worker/work';

/** What a BlobCreated event says about the new version (functions/converters turn the event into this). */
export interface BlobCreated {
  container: string;
  name: string;
  /** The new version's ETag. */
  etag: string;
  /** Bytes, from the event: known before any byte is read. */
  size: number;
  contentType?: string;
  /** Orders writes of one blob name. */
  sequencer?: string;
  /** The event's id: the same across Event Grid's redeliveries of it. */
  eventId: string;
  eventTime: string;
}

export interface AcceptBlobOptions {
  limits: DecodeLimits;
  leaseMs: number;
  /** Answer Event Grid by then whatever happens (default 20 s: it waits 30 s, and the host and network take their part). */
  answerWithinMs?: number;
}

const ANSWER_WITHIN_MS = 20_000;

export type AcceptOutcome =
  | 'succeeded'
  | 'failed'
  | 'duplicate'
  | 'superseded'
  /** A drop-folder blob deleted before it was read: nothing is kept. */
  | 'deleted'
  | 'ignored'
  /** Left to the `classify` queue (a retryable fault, or another live claim). */
  | 'handed_off';

export async function acceptBlob(
  services: Services,
  event: BlobCreated,
  options: AcceptBlobOptions,
): Promise<{ id?: string; outcome: AcceptOutcome; error?: string }> {
  const id = resultIdForBlob(event.container, event.name);
  // Only upload names this app handed out are classified; anything else written there is not ours.
  if (id === undefined) return { outcome: 'ignored' };
  const work: BlobWork = {
    id,
    blob: { container: event.container, name: event.name, etag: event.etag, sequencer: event.sequencer },
    size: event.size,
    contentType: event.contentType,
    since: event.eventTime,
  };
  const handOff = (delaySeconds?: number, model?: string) =>
    enqueueClassify(
      services.storage,
      {
        kind: 'blob',
        resultId: id,
        container: event.container,
        blob: event.name,
        etag: event.etag,
        sequencer: event.sequencer,
        size: event.size,
        claimant: event.eventId,
        model,
        enqueuedAt: event.eventTime,
      },
      { delaySeconds },
    );
  const inline = (async (): Promise<{ id?: string; outcome: AcceptOutcome; error?: string }> => {
    try {
      // While the model cannot load, record the version as queued and let the queue's model gate hold it.
      const queueOnly = !(await services.models.ready());
      const done = await processBlob(services, work, {
        ...options,
        claimant: event.eventId,
        lastAttempt: false,
        queueOnly,
      });
      if (done.outcome === 'queued') {
        await handOff();
        return { id, outcome: 'handed_off' };
      }
      if (done.outcome === 'busy') {
        // Another delivery is working on it; the queue looks again when its lease ends, in case it died.
        await handOff(Math.max(1, (Date.parse(done.leaseUntil) - Date.now()) / 1000 + 1));
        return { id, outcome: 'handed_off' };
      }
      return { id, outcome: done.outcome };
    } catch (err) {
      const error = toClassifierError(err);
      if (!error.retryable) throw err;
      // A model that cannot load: the queue's gate holds the work for that model only.
      await handOff(undefined, err instanceof ModelUnavailableError ? err.model : undefined);
      return { id, outcome: 'handed_off', error: error.message };
    }
  })();
  const answered = await settledWithin(inline, options.answerWithinMs ?? ANSWER_WITHIN_MS);
  if (answered) return answered;
  // Still classifying: it goes on here, and the queue takes over when the claim's lease ends if
  // this instance does not finish (scaled in, killed). A later failure of the inline work has
  // already been handed off or reported by it; nothing else waits for it.
  inline.catch(() => undefined);
  await handOff(Math.ceil(options.leaseMs / 1000) + 1);
  return {
    id,
    outcome: 'handed_off',
    error: `still classifying after ${(options.answerWithinMs ?? ANSWER_WITHIN_MS) / 1000} s`,
  };
}
