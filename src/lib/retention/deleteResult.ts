/**
 * Removes one result everywhere it is stored: what the content index learnt from it and its
 * copy in its job's results (DELETE only: retention keeps those), the uploaded bytes
 * (`uploads/<id>`), the result JSON blob and the table row, in that order, so an interrupted delete is finished by asking
 * again (the row, which is what finds the rest, goes last). A result that has only just
 * completed may not have its JSON blob or job copy yet; DELETE waits a moment for them (awaitSettled). Drop-folder originals in `images`
 * belong to whoever put them there and are never deleted here.
 */
import { ClassifierError } from '../errors';
import { TERMINAL_STATUSES } from '../results/result';
import { bareEtag, type BlobRef, type ResultRecord, type StoredResultBlob } from '../results/resultStore';
import type { Services } from '../services';
import { storageNames } from '../storage/names';

/** A result completed this recently may not be wholly stored yet (see awaitSettled). */
const JUST_COMPLETED_MS = 10_000;
const SETTLE_WAIT_MS = 5000;

export interface DeleteResultOptions {
  abortSignal?: AbortSignal;
  /** Delete even while the image is queued or processing (retention does; the HTTP route does not). */
  force?: boolean;
}

/** Returns false when there is no such result. */
export async function deleteResult(
  services: Services,
  id: string,
  options: DeleteResultOptions = {},
): Promise<boolean> {
  const record = await services.results.get(id, options);
  if (!record) return false;
  const { status } = record.result;
  if (!options.force && status !== 'awaiting_upload' && !TERMINAL_STATUSES.includes(status)) {
    // Deleting under a running worker would let its retry recreate the row as blob_not_found.
    throw new ClassifierError(
      'bad_request',
      `Result ${id} is ${status}; delete it once it has succeeded or failed.`,
    );
  }
  if (TERMINAL_STATUSES.includes(status)) await awaitSettled(services, record, options);
  await services.content.forget(record.result);
  if (record.result.jobId) await services.jobs.deleteCountedResult(record.result.jobId, record.result.id);
  await deleteStoredRecord(services, record, options);
  return true;
}

/**
 * The worker stores a result in steps: the terminal row, then its JSON blob, then its copy in
 * its job. Deleted in between, a later step would put back a piece of a deleted result with
 * nothing left to find it by (retention walks rows), so for a result that has only just
 * completed those pieces are waited for: a few seconds at most, since after a crash between
 * steps they come only with the redelivery.
 */
async function awaitSettled(
  services: Pick<Services, 'jobs' | 'results'>,
  record: ResultRecord,
  options: { abortSignal?: AbortSignal },
): Promise<void> {
  const { result, blob } = record;
  if (!(Date.now() - Date.parse(result.completedAt ?? '') < JUST_COMPLETED_MS)) return;
  const settled = async (): Promise<boolean> =>
    (!blob || (await services.results.hasBlob(result, blob, options))) &&
    (!result.jobId || (await services.jobs.countedResult(result.jobId, result.id)) !== undefined);
  const deadline = Date.now() + SETTLE_WAIT_MS;
  while (!(await settled()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
}

export interface DeleteStoredOptions {
  abortSignal?: AbortSignal;
  /**
   * Retention: delete only if the row is still the version listed (read again first, and
   * deleted at that ETag). A drop-folder blob written and classified again while the sweep
   * walked an older page keeps its fresh row and JSON blob. Returns false when it had changed.
   */
  ifUnchanged?: boolean;
}

/** Deletes the blobs and the row of a record; missing pieces are fine (a retried delete). */
export async function deleteStoredRecord(
  services: Pick<Services, 'results' | 'storage' | 'search'>,
  record: ResultRecord,
  options: DeleteStoredOptions = {},
): Promise<boolean> {
  const { storage, results } = services;
  const { abortSignal } = options;
  if (options.ifUnchanged) {
    // The listing may be minutes old; the row is what the JSON blob follows (written after it).
    const now = await results.get(record.result.id, { abortSignal });
    if (!now) return true;
    if (now.etag !== record.etag) return false;
  }
  if (record.blob) {
    if (record.blob.container === storageNames.uploadsContainer) {
      await storage.blobs
        .getContainerClient(record.blob.container)
        .getBlobClient(record.blob.name)
        .deleteIfExists({ abortSignal });
    }
    // A job image has no JSON blob of its own: the same path's drop-folder result is not touched.
    await results.deleteBlob(record.result, record.blob, { abortSignal });
  }
  await services.search.remove([record.result]);
  return results.delete(record.result.id, {
    abortSignal,
    etag: options.ifUnchanged ? record.etag : undefined,
  });
}

/**
 * Which versions of a drop-folder blob name are dead (deleted, or replaced by a newer write):
 * those written at or before `sequencer` (Event Grid sequencers order one name's writes), and
 * the version `etag` itself.
 */
export type DeadVersions = Pick<BlobRef, 'etag' | 'sequencer'>;

/**
 * Removes the JSON blob stored for a drop-folder blob name, with the search entries and
 * content-index memory of the result it holds, when it describes a dead version. It finishes
 * what a deletion interrupted after the row went (the JSON blob is what finds the rest, so it
 * goes last, and doing this again finishes a crash in between), and removes what a worker
 * stored for a version that was deleted under it. A newer version's JSON blob stays, and so
 * does one written again after it was read here (deleted at the ETag read). A JSON blob that
 * names no version (written before they were noted) counts as dead, unless `aliveName`: a
 * newer version of the name exists, and it may be that version's.
 */
export async function removeDeadResultBlob(
  services: Pick<Services, 'results' | 'search' | 'content'>,
  blob: Pick<BlobRef, 'container' | 'name'>,
  dead: DeadVersions,
  options: { abortSignal?: AbortSignal; aliveName?: boolean } = {},
): Promise<void> {
  const stored = await services.results.readBlob(blob, options);
  if (!stored || !describesDeadVersion(stored, dead, options.aliveName === true)) return;
  if (stored.result) {
    await services.search.remove([stored.result]);
    await services.content.forget(stored.result);
  }
  await services.results.deleteBlob({}, blob, { abortSignal: options.abortSignal, etag: stored.etag });
}

function describesDeadVersion(
  { version }: StoredResultBlob,
  dead: DeadVersions,
  aliveName: boolean,
): boolean {
  if (version.etag === undefined && version.sequencer === undefined) return !aliveName;
  if (version.etag !== undefined && dead.etag !== undefined && version.etag === bareEtag(dead.etag))
    return true;
  return (
    version.sequencer !== undefined && dead.sequencer !== undefined && version.sequencer <= dead.sequencer
  );
}
