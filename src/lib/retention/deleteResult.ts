/**
 * Removes one result everywhere it is stored: what the content index learnt from it and its
 * copy in its job's results (DELETE only: retention keeps those), the uploaded bytes
 * (`uploads/<id>`), the result JSON blob and the table row, in that order, so an interrupted delete is finished by asking
 * again (the row, which is what finds the rest, goes last). A result that has only just
 * completed may not have its JSON blob yet; DELETE waits a moment for it (awaitJsonBlob). Drop-folder originals in `images`
 * belong to whoever put them there and are never deleted here.
 */
import { ClassifierError } from '../errors';
import { TERMINAL_STATUSES } from '../results/result';
import type { ResultRecord } from '../results/resultStore';
import type { Services } from '../services';
import { storageNames } from '../storage/names';

/** A result completed this recently may not have its JSON blob yet (see awaitJsonBlob). */
const JUST_COMPLETED_MS = 10_000;
const JSON_WAIT_MS = 5000;

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
  if (TERMINAL_STATUSES.includes(status)) await awaitJsonBlob(services, record, options);
  await services.content.forget(record.result);
  if (record.result.jobId) await services.jobs.deleteCountedResult(record.result.jobId, record.result.id);
  await deleteStoredRecord(services, record, options);
  return true;
}

/**
 * The worker writes a result's JSON blob just after its row turns terminal. Deleted in between,
 * the blob would land after the row had gone, with nothing left to find it by (retention walks
 * rows), so the blob of a result that has only just completed is waited for: a few seconds at
 * most, since after a crash between the two it comes only with the redelivery.
 */
async function awaitJsonBlob(
  services: Services,
  record: ResultRecord,
  options: { abortSignal?: AbortSignal },
): Promise<void> {
  const { result, blob } = record;
  if (!blob || !(Date.now() - Date.parse(result.completedAt ?? '') < JUST_COMPLETED_MS)) return;
  const deadline = Date.now() + JSON_WAIT_MS;
  while (!(await services.results.hasBlob(result, blob, options)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
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
  services: Services,
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
  return results.delete(record.result.id, {
    abortSignal,
    etag: options.ifUnchanged ? record.etag : undefined,
  });
}
