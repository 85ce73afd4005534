/**
 * A drop-folder or upload blob version to exactly one terminal result: claim the row, read the
 * blob once (that version only), classify, then write the row at the claim's ETag and only
 * then the JSON blob, so the JSON never says something the row does not. A claim lost to a
 * newer version or a takeover is `superseded` and writes nothing. Storage and runtime faults
 * are thrown for the caller to retry; on a last attempt they become the terminal failure.
 */
import type { ContentModelKey } from '../content/contentIndex';
import { ClassifierError, toClassifierError } from '../errors';
import { asFailed, TERMINAL_STATUSES, type ClassificationResult } from '../results/result';
import type { BlobRef, ResultRecord } from '../results/resultStore';
import type { Services } from '../services';
import { storageNames } from '../storage/names';
import { claimBlob, heldByAnother, isNewerVersion, isSameVersion, newBlobResult } from './claim';
import { classifyBlob } from './classifyBlob';
import { announceFinished } from './finished';
import { queueMsSince, type BlobWork, type WorkOptions, type WorkOutcome } from './work';

export interface ProcessBlobOptions extends WorkOptions {
  /** Only record the version as `queued`: the caller hands the work to the queue (the model is not loaded). */
  queueOnly?: boolean;
  /** The row most likely exists (work handed over by intake): read it first instead of trying a create. */
  rowExists?: boolean;
}

/** What can become of drop-folder or upload work (only job images are ever skipped). */
export type BlobOutcome = Exclude<WorkOutcome, { outcome: 'skipped' }>;

export async function processBlob(
  services: Services,
  work: BlobWork,
  options: ProcessBlobOptions,
): Promise<BlobOutcome> {
  const upload = work.blob.container === storageNames.uploadsContainer;
  const claim = await claimBlob(services, work, {
    ...options,
    readFirst: upload || options.rowExists === true,
  });
  if (claim.kind === 'superseded') return { outcome: 'superseded' };
  if (claim.kind === 'busy') return { outcome: 'busy', leaseUntil: claim.leaseUntil };
  if (claim.kind === 'duplicate') {
    // A redelivery may follow a crash between the row and its JSON blob or job count: finish both (idempotent).
    const { result } = claim.record;
    await services.results.writeBlob(result, claim.record.blob ?? work.blob);
    await services.jobCounter.record(result);
    await announceFinished(services, [result]);
    return { outcome: 'duplicate' };
  }
  if (claim.kind === 'rejected') {
    await settle(services, claim.result, work.blob, {});
    return { outcome: 'failed', result: claim.result };
  }
  if (options.queueOnly) return { outcome: 'queued' };
  // An anonymous uploader must not learn what anyone else sent (nor pay for the index lookups);
  // uploads into a job belong to its owner, like the job's other images.
  const reuse = !upload || claim.result.jobId !== undefined;
  const done = await classifyBlob(services, claim.result, work.blob, {
    limits: options.limits,
    ifMatch: work.blob.etag,
    reuse,
    queueMs: queueMsSince(work.since),
    // An upload's model was chosen when its URL was handed out; a drop-folder blob's by its metadata.
    model: upload ? claim.result.model.id : undefined,
  });
  if (done === 'superseded') return { outcome: 'superseded' };
  const { result } = done;
  if (result.error?.code === 'internal_error' && !options.lastAttempt) {
    throw new ClassifierError('internal_error', result.error.message, { retryable: true });
  }
  if (!(await services.results.update(result, claim.etag, { blob: work.blob })))
    return { outcome: 'superseded' };
  await settle(services, result, work.blob, { remember: reuse ? done.contentKey : undefined });
  return { outcome: result.status === 'succeeded' ? 'succeeded' : 'failed', result };
}

/** After the row is terminal: its JSON blob, its job's count, the search index and its event, the content index. */
async function settle(
  services: Services,
  result: ClassificationResult,
  blob: BlobRef,
  options: { remember?: ContentModelKey },
): Promise<void> {
  // First: the row is terminal now, and a retry after a failure below takes the duplicate path,
  // which records nothing.
  services.telemetry.record(result, blob.container === storageNames.uploadsContainer ? 'upload' : 'drop');
  await services.results.writeBlob(result, blob);
  await services.jobCounter.record(result);
  await announceFinished(services, [result]);
  // Best effort: a lost index entry only costs classifying the same bytes again.
  if (options.remember) await services.content.remember(result, options.remember).catch(() => undefined);
}

/**
 * The terminal `internal_error` of work that ran out of attempts, unless the row has moved on
 * (terminal already, or a newer version). Used by the last attempt's catch and by its watchdog.
 */
export async function markBlobFailed(
  services: Services,
  work: BlobWork,
  err: unknown,
  options: { attempts: number; claimant: string },
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const record = await services.results.get(work.id);
    if (record && hasMovedOn(record, work, options.claimant)) return;
    const failed = asFailed(record?.result ?? newBlobResult(services, work), gaveUp(err, options.attempts));
    const saved = record
      ? await services.results.update(failed, record.etag, { blob: work.blob })
      : await services.results.create(failed, work.blob);
    if (saved) {
      await settle(services, failed, work.blob, {});
      return;
    }
  }
}

function hasMovedOn(record: ResultRecord, work: BlobWork, claimant: string): boolean {
  if (isNewerVersion(record, work)) return true;
  if (isSameVersion(record, work) && TERMINAL_STATUSES.includes(record.result.status)) return true;
  return heldByAnother(record, claimant);
}

export const gaveUp = (err: unknown, attempts: number): ClassifierError =>
  new ClassifierError(
    'internal_error',
    `Gave up after ${attempts} attempts: ${toClassifierError(err).message}`,
  );
