/**
 * The queue worker: one `classify` message in, terminal results out. A message is either work
 * the intake handed over (processBlob, with the claim the event took) or images of a bulk job
 * (processJobImage, one after another, counted into the job together). Bad images fail on the first attempt; only
 * `internal_error` is thrown back to the queue for a retry.
 *
 * The last attempt must end in a recorded failure even when it never returns: the real host
 * moves a message whose attempts are spent to `<queue>-poison` on its next dequeue without
 * calling the function, so a crash or timeout on that attempt would leave rows unfinished and
 * their job running forever. So the last attempt first leaves a watchdog copy (`check`) that
 * becomes visible once the attempt is surely over (functionTimeout later); it records the
 * failure of whatever is still not terminal, and costs nothing else.
 */
import { announceFinished } from './finished';
import {
  enqueueClassify,
  type BlobMessage,
  type ClassifyMessage,
  type JobImagesMessage,
} from '../queue/classifyMessage';
import { TERMINAL_STATUSES, type ClassificationResult } from '../results/result';
import type { Services } from '../services';
import { ModelUnavailableError } from '../classify/models';
import { markBlobFailed, processBlob } from './processBlob';
import { markJobImageFailed, processJobImage } from './processJobImage';
import { toClassifierError } from '../errors';
import { jobImageWork, workFromMessage, type WorkOptions, type WorkOutcome } from './work';

export interface DeliveryInfo {
  /** The queue message id: the same across redeliveries of one message. */
  messageId: string;
  dequeueCount: number;
  /** host.json extensions.queues.maxDequeueCount. */
  maxDequeueCount: number;
}

export interface ProcessMessageOptions extends Pick<WorkOptions, 'limits' | 'leaseMs'> {
  /** When a last attempt is surely over (functionTimeout plus a margin): the watchdog's delay. */
  watchdogDelaySeconds: number;
}

/** What became of each image of a message (one for a blob message). */
export interface ImageOutcome {
  resultId: string;
  blob: string;
  done: WorkOutcome | { outcome: 'checked' };
}

export async function processMessage(
  services: Services,
  message: ClassifyMessage,
  delivery: DeliveryInfo,
  options: ProcessMessageOptions,
): Promise<ImageOutcome[]> {
  const lastAttempt = delivery.dequeueCount >= delivery.maxDequeueCount;
  const claimant = message.kind === 'blob' ? (message.claimant ?? delivery.messageId) : delivery.messageId;
  if (lastAttempt && !message.check) {
    const watchdog =
      message.kind === 'blob' ? { ...message, claimant, check: true } : { ...message, check: true };
    await enqueueClassify(services.storage, watchdog, { delaySeconds: options.watchdogDelaySeconds });
  }
  const workOptions: WorkOptions = {
    limits: options.limits,
    leaseMs: options.leaseMs,
    claimant,
    lastAttempt,
  };
  return message.kind === 'blob'
    ? processBlobMessage(services, message, delivery, workOptions)
    : processJobMessage(services, message, delivery, workOptions);
}

async function processBlobMessage(
  services: Services,
  message: BlobMessage,
  delivery: DeliveryInfo,
  options: WorkOptions,
): Promise<ImageOutcome[]> {
  const outcome = (done: ImageOutcome['done']): ImageOutcome[] => [
    { resultId: message.resultId, blob: message.blob, done },
  ];
  const work = workFromMessage(message);
  // A no-op when the row is already terminal, or has moved on to a newer version or claim.
  const markFailed = (err: unknown) =>
    markBlobFailed(services, work, err, { attempts: delivery.dequeueCount, claimant: options.claimant });
  if (message.check) {
    await markFailed(new Error('the last attempt did not finish (crashed or timed out)'));
    return outcome({ outcome: 'checked' });
  }
  try {
    // Intake has nearly always written the row before handing over: read first (a missing row is still created).
    const done = await processBlob(services, work, { ...options, rowExists: true });
    if (done.outcome === 'busy') {
      // Another delivery holds the claim: look again when its lease ends (not an attempt).
      const delaySeconds = (Date.parse(done.leaseUntil) - Date.now()) / 1000 + 1;
      await enqueueClassify(services.storage, message, { delaySeconds: Math.max(1, delaySeconds) });
    }
    return outcome(done);
  } catch (err) {
    // The model the blob asks for (its metadata, its upload) cannot load: hold the message for
    // that model, as the gate does, instead of spending the attempt.
    if (
      err instanceof ModelUnavailableError &&
      message.model === undefined &&
      (await services.modelGate.admit({ ...message, model: err.model })) === 'held'
    )
      return outcome({ outcome: 'queued' });
    if (options.lastAttempt) await markFailed(err);
    throw err;
  }
}

/**
 * The images of a job message, one after another, then counted into the job together (one
 * transaction, not one per image); a retryable fault of any is the message's, after the rest
 * are done and counted.
 */
async function processJobMessage(
  services: Services,
  message: JobImagesMessage,
  delivery: DeliveryInfo,
  options: WorkOptions,
): Promise<ImageOutcome[]> {
  const outcomes: ImageOutcome[] = [];
  const toCount: ClassificationResult[] = [];
  let failure: Error | undefined;
  for (const image of message.images) {
    const work = jobImageWork(message, image);
    const push = (done: ImageOutcome['done']) =>
      outcomes.push({ resultId: image.resultId, blob: image.blob, done });
    try {
      if (message.check) {
        toCount.push(
          await markJobImageFailed(
            services,
            work,
            new Error('the last attempt did not finish (crashed or timed out)'),
            delivery.dequeueCount,
          ),
        );
        push({ outcome: 'checked' });
        continue;
      }
      // A retry finds the images an earlier attempt finished: count them (idempotent), do not redo them.
      const stored = delivery.dequeueCount > 1 ? await services.results.get(work.id) : undefined;
      if (stored && TERMINAL_STATUSES.includes(stored.result.status)) {
        toCount.push(stored.result);
        push({ outcome: 'duplicate' });
        continue;
      }
      const { done, count } = await processJobImage(services, work, options);
      if (count) toCount.push(count);
      push(done);
    } catch (err) {
      if (options.lastAttempt)
        toCount.push(await markJobImageFailed(services, work, err, delivery.dequeueCount));
      failure ??= toClassifierError(err);
    }
  }
  await services.jobCounter.recordAll(toCount);
  // After the count that records a job image's result; the ones a retry found done go again (idempotent).
  await announceFinished(services, toCount);
  if (failure) throw failure;
  return outcomes;
}
