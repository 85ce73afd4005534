/**
 * Retention: deletes what is older than its time-to-live, page by page, so a large account
 * never has to fit in memory.
 * - Uploaded bytes (`uploads/*`) older than RETENTION_DAYS_UPLOADS, whatever their result says.
 * - Result rows (and their JSON blob, and upload bytes if still there) completed more than
 *   RETENTION_DAYS_RESULTS ago, and `awaiting_upload` rows never uploaded within the uploads TTL.
 * Drop-folder originals in `images` are the owner's data and are never deleted; their result
 * expires like any other (Event Grid sends one event per write, so it is not classified again).
 */
import { listResults } from '../results/resultStore';
import { cutoff, retentionFromEnv, type RetentionConfig } from './retentionConfig';
import { deleteStoredRecord } from './deleteResult';
import { storageClients } from '../storage/clients';
import { storageNames } from '../storage/names';
import { isStatus } from '../storage/restErrors';

export interface CleanupOptions {
  retention?: RetentionConfig;
  /** "Now", for tests. */
  now?: Date;
  pageSize?: number;
  abortSignal?: AbortSignal;
}

export interface CleanupResult {
  uploadsDeleted: number;
  resultsDeleted: number;
}

export async function cleanupExpired(options: CleanupOptions = {}): Promise<CleanupResult> {
  const retention = options.retention ?? retentionFromEnv();
  const now = options.now ?? new Date();
  const uploadsBefore = cutoff(now, retention.uploadsDays);
  const resultsBefore = cutoff(now, retention.resultsDays);
  const uploadsDeleted = await deleteOldUploads(uploadsBefore, options);
  const odata = (d: Date): string => `'${d.toISOString()}'`;
  // ISO-8601 strings in UTC sort as times, so the service filters them with plain string comparison.
  const filter =
    `(completedAt lt ${odata(resultsBefore)}) or ` +
    `(status eq 'awaiting_upload' and createdAt lt ${odata(uploadsBefore)})`;
  let resultsDeleted = 0;
  const pages = listResults({ filter, pageSize: options.pageSize ?? 500, abortSignal: options.abortSignal });
  for await (const page of pages) {
    for (const record of page) {
      // The listing may be older than the row: only what is still the expired version goes.
      if (await deleteStoredRecord(record, { abortSignal: options.abortSignal, ifUnchanged: true }))
        resultsDeleted++;
    }
  }
  return { uploadsDeleted, resultsDeleted };
}

async function deleteOldUploads(before: Date, options: CleanupOptions): Promise<number> {
  const container = storageClients().blobs.getContainerClient(storageNames.uploadsContainer);
  let deleted = 0;
  const pages = container
    .listBlobsFlat({ abortSignal: options.abortSignal })
    .byPage({ maxPageSize: options.pageSize ?? 500 });
  for await (const page of pages) {
    for (const blob of page.segment.blobItems) {
      if (blob.properties.lastModified >= before) continue;
      try {
        await container.getBlobClient(blob.name).delete({ abortSignal: options.abortSignal });
        deleted++;
      } catch (err) {
        if (!isStatus(err, 404)) throw err; // deleted meanwhile (DELETE /api/results/{id})
      }
    }
  }
  return deleted;
}
