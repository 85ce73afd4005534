/**
 * A drop-folder or upload blob version to exactly one terminal result: claim the row, read the
 * blob once (that version only), classify, then write the row at the claim's ETag and only
 * then the JSON blob, so the JSON never says something the row does not. A claim lost to a
 * newer version or a takeover is `superseded` and writes nothing. Storage and runtime faults
 * are thrown for the caller to retry; on a last attempt they become the terminal failure.
 *
 * A drop-folder blob can be deleted at any point, and its result with it (its BlobDeleted:
 * intake/forgetBlob.ts): one found gone here is `deleted` and leaves nothing, not a
 * `blob_not_found` result (that code stays for uploads and job images, whose blobs go by
 * retention or by their owner's hand and whose results live on); and what is stored after the
 * terminal row is checked against the row once written (settle).
 */
import type { ContentModelKey } from '../content/contentIndex';
import { ClassifierError, toClassifierError } from '../errors';
import { asFailed, TERMINAL_STATUSES, type ClassificationResult } from '../results/result';
import { bareEtag, type BlobRef, type ResultRecord } from '../results/resultStore';
import { removeDeadResultBlob } from '../retention/deleteResult';
import type { Services } from '../services';
import { storageNames } from '../storage/names';
import { isStatus } from '../storage/restErrors';
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
  if (claim.kind === 'superseded') return superseded(services, work);
  if (claim.kind === 'busy') return { outcome: 'busy', leaseUntil: claim.leaseUntil };
  if (claim.kind === 'duplicate') {
    // A redelivery may follow a crash between the row and its JSON blob or job count: finish both (idempotent).
    const { result } = claim.record;
    const blob = claim.record.blob ?? work.blob;
    const json = await writeJson(services, result, blob);
    await services.jobCounter.record(result);
    await announceFinished(services, [result]);
    await keepOnlyIfStored(services, result, blob, json);
    return { outcome: 'duplicate' };
  }
  if (claim.kind === 'rejected') {
    // Rejected from the event's facts, nothing read: a drop-folder blob deleted since (a late
    // redelivery of its event) must not get a result back.
    if (isDropFolder(work.blob) && (await isGone(services, work.blob)))
      return deleted(services, work, claim.etag);
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
  if (done === 'superseded') {
    // A read at a given ETag answers 412 for a deleted blob too (Azurite does, before 404): ask.
    if (isDropFolder(work.blob) && (await isGone(services, work.blob)))
      return deleted(services, work, claim.etag);
    return superseded(services, work);
  }
  const { result } = done;
  // Deleted from the drop folder before it was read: its BlobDeleted is on its way or has been
  // handled; either way there is no result to keep.
  if (isDropFolder(work.blob) && result.error?.code === 'blob_not_found')
    return deleted(services, work, claim.etag);
  if (result.error?.code === 'internal_error' && !options.lastAttempt) {
    throw new ClassifierError('internal_error', result.error.message, { retryable: true });
  }
  if (!(await services.results.update(result, claim.etag, { blob: work.blob })))
    return { outcome: 'superseded' };
  await settle(services, result, work.blob, { remember: reuse ? done.contentKey : undefined });
  return { outcome: result.status === 'succeeded' ? 'succeeded' : 'failed', result };
}

const isDropFolder = (blob: BlobRef): boolean => blob.container === storageNames.imagesContainer;

/** Whether the blob is gone (deleted, and not written again: a newer version supersedes, it is not gone). */
async function isGone(services: Pick<Services, 'storage'>, blob: BlobRef): Promise<boolean> {
  try {
    await services.storage.blobs.getContainerClient(blob.container).getBlobClient(blob.name).getProperties();
    return false;
  } catch (err) {
    if (isStatus(err, 404)) return true;
    throw err;
  }
}

/**
 * A drop-folder version deleted under this work: the row it claimed goes (at the claim's ETag:
 * a newer claim keeps its row), and so does any JSON blob of this or an older version, with what
 * it names (a crash between an earlier attempt's writes and its check leaves those).
 */
async function deleted(services: Services, work: BlobWork, claimEtag: string): Promise<BlobOutcome> {
  const mine = await services.results.delete(work.id, { etag: claimEtag });
  // Not mine: another delivery has the row since, maybe for a newer write of the name.
  await removeDeadResultBlob(services, work.blob, work.blob, { aliveName: !mine });
  return mine ? { outcome: 'deleted' } : { outcome: 'superseded' };
}

/**
 * A newer version owns the name. For the drop folder, a JSON blob this or an older version left
 * (a worker that crashed between storing it and its check, the name then deleted and written
 * again) is dead: removed with what it names. One JSON blob read, only on this rare path.
 */
async function superseded(services: Services, work: BlobWork): Promise<BlobOutcome> {
  if (isDropFolder(work.blob))
    await removeDeadResultBlob(services, work.blob, work.blob, { aliveName: true });
  return { outcome: 'superseded' };
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
  const json = await writeJson(services, result, blob);
  await services.jobCounter.record(result);
  await announceFinished(services, [result]);
  // Best effort: a lost index entry only costs classifying the same bytes again.
  if (options.remember) await services.content.remember(result, options.remember).catch(() => undefined);
  await keepOnlyIfStored(services, result, blob, json);
}

/**
 * The result's JSON blob. A drop-folder name's may still hold another version's result whose
 * search entries nothing else finds (a worker killed between storing it and its check, its
 * blob deleted meanwhile and the name written again): they go before it is replaced.
 */
const writeJson = (services: Services, result: ClassificationResult, blob: BlobRef) =>
  services.results.writeBlob(
    result,
    blob,
    isDropFolder(blob)
      ? { replacing: async (old) => old.result && services.search.remove([old.result]) }
      : {},
  );

/**
 * A drop-folder blob may be deleted while its result is being stored: its BlobDeleted handler
 * (intake/forgetBlob.ts) deletes the row, then reads the JSON blob and removes it with what it
 * names. Run between the terminal row and the writes above, it would find nothing, and those
 * writes would stay with no row to find them by. So once they are done the row is read again:
 * gone, or now another version's, what was written here is removed (search entries, content
 * memory if the row is gone, then the JSON blob at the ETag written, so a newer version's is
 * kept). Together with the handler's order (row first, JSON blob read after), every
 * interleaving ends clean: either this read sees the row gone, or the row went after all these
 * writes and the handler's read of the JSON blob finds them. Uploads are not deleted by users
 * (retention deletes their blobs, never while classifying), so only the drop folder pays this
 * one table read per result.
 */
async function keepOnlyIfStored(
  services: Services,
  result: ClassificationResult,
  blob: BlobRef,
  jsonEtag: string | undefined,
): Promise<void> {
  if (!isDropFolder(blob) || result.jobId !== undefined) return;
  const now = await services.results.get(result.id);
  const sameVersion =
    now?.blob?.etag !== undefined &&
    blob.etag !== undefined &&
    bareEtag(now.blob.etag) === bareEtag(blob.etag);
  if (now && sameVersion) return;
  await services.search.remove([result]);
  // A newer version of the same bytes may rely on the memory: only a deletion forgets it.
  if (!now) await services.content.forget(result);
  if (jsonEtag) await services.results.deleteBlob(result, blob, { etag: jsonEtag });
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
  // A drop-folder blob deleted meanwhile gets no result, not even a failure: the row an attempt
  // claimed for it goes (unless it has moved on), as a live attempt would have found it gone.
  if (isDropFolder(work.blob) && (await isGone(services, work.blob))) {
    const record = await services.results.get(work.id);
    if (record && !hasMovedOn(record, work, options.claimant))
      await services.results.delete(work.id, { etag: record.etag });
    await removeDeadResultBlob(services, work.blob, work.blob);
    return;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const record = await services.results.get(work.id);
    if (record && hasMovedOn(record, work, options.claimant)) return;
    const failed = asFailed(record?.result ?? newBlobResult(services, work), gaveUp(err, options.attempts));
    const saved = record
      ? await services.results.update(failed, record.etag, { blob: work.blob })
      : await services.results.create(failed, work.blob);
    if (saved) {
      // Deleted between the look above and this write (its handler found no row, or a row this
      // replaced): the failure written for it goes again, as settle's own check covers only
      // deletions that come after it.
      if (isDropFolder(work.blob) && (await isGone(services, work.blob))) {
        await deleted(services, work, saved);
        return;
      }
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
