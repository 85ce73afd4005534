/**
 * A new blob version in a watched container (upload or drop folder), from its BlobCreated
 * event: classified right here, inline, so the common case costs one claim, one read, one row
 * and one JSON blob. The event's facts (size, ETag, sequencer) decide before any byte is read:
 * an upload name this app never issued is ignored, an empty or oversize blob fails at once.
 * What cannot finish here is handed to the `classify` queue, whose worker retries it with
 * attempts, poison and replay: a retryable fault, or a claim another delivery holds. Only when
 * even that hand-off fails does the error reach Event Grid, which redelivers for up to a day.
 */
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
}

export type AcceptOutcome =
  | 'succeeded'
  | 'failed'
  | 'duplicate'
  | 'superseded'
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
}
