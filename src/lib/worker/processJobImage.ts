/**
 * One image of a bulk job (listed from a container prefix): read it once, classify (or reuse
 * the prediction for the same bytes), create its terminal row, and give back what its job must
 * count (the caller counts a message's images in one transaction). No
 * claim and no per-image JSON blob: the job's partition and exports hold its results, and the
 * row is created only once it is terminal, so a redelivery that loses the race (409) counts the
 * stored result instead of its own. This keeps a job image at about five storage requests.
 */
import { ClassifierError } from '../errors';
import { asFailed, TERMINAL_STATUSES, type ClassificationResult } from '../results/result';
import type { BlobRef } from '../results/resultStore';
import type { Services } from '../services';
import { newBlobResult } from './claim';
import { classifyBlob } from './classifyBlob';
import { gaveUp } from './processBlob';
import { queueMsSince, type BlobWork, type WorkOptions, type WorkOutcome } from './work';

export interface JobImageDone {
  done: WorkOutcome;
  /** The terminal result to count into the job: this attempt's, or the one a duplicate found. */
  count?: ClassificationResult;
}

export async function processJobImage(
  services: Services,
  work: BlobWork,
  options: WorkOptions,
): Promise<JobImageDone> {
  if (work.jobId && (await services.jobStatus.stopped(work.jobId))) return { done: { outcome: 'skipped' } };
  const done = await classifyBlob(services, jobImageResult(services, work), work.blob, {
    limits: options.limits,
    reuse: true,
    queueMs: queueMsSince(work.since),
    model: work.model,
  });
  if (done === 'superseded') throw new Error('A job image is read without ifMatch; it cannot be superseded.');
  const { result } = done;
  if (result.error?.code === 'internal_error' && !options.lastAttempt) {
    throw new ClassifierError('internal_error', result.error.message, { retryable: true });
  }
  const stored = await store(services, result, { ...work.blob, etag: done.etag });
  // Another delivery of the same message stored its result first: this one was a duplicate.
  if (stored !== result) return { done: { outcome: 'duplicate' }, count: stored };
  if (done.contentKey) await services.content.remember(result, done.contentKey).catch(() => undefined);
  return { done: { outcome: result.status === 'succeeded' ? 'succeeded' : 'failed', result }, count: result };
}

/** The terminal row of a job image that ran out of attempts, unless one exists already; the result to count. */
export async function markJobImageFailed(
  services: Services,
  work: BlobWork,
  err: unknown,
  attempts: number,
): Promise<ClassificationResult> {
  return store(services, asFailed(jobImageResult(services, work), gaveUp(err, attempts)), work.blob);
}

/** Stores the terminal row (see storeRow); the result that won, recorded in telemetry when it is this one. */
async function store(
  services: Services,
  result: ClassificationResult,
  blob: BlobRef,
): Promise<ClassificationResult> {
  const stored = await storeRow(services, result, blob);
  if (stored === result) services.telemetry.record(result, 'job');
  return stored;
}

/** Creates the terminal row; a terminal row already there wins (a duplicate delivery), a reset one (replay) is replaced. */
async function storeRow(
  { results }: Services,
  result: ClassificationResult,
  blob: BlobRef,
): Promise<ClassificationResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await results.create(result, blob)) return result;
    const existing = await results.get(result.id);
    if (!existing) continue;
    if (TERMINAL_STATUSES.includes(existing.result.status)) return existing.result;
    if (await results.update(result, existing.etag, { blob })) return result;
  }
  throw new ClassifierError('internal_error', `Result ${result.id} kept changing while being stored.`, {
    retryable: true,
  });
}

const jobImageResult = (services: Services, work: BlobWork): ClassificationResult => ({
  ...newBlobResult(services, work),
  status: 'processing',
});
