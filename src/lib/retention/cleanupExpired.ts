/**
 * Retention: deletes what is older than its time-to-live, one page per step, so a large account
 * never has to fit in memory nor in one invocation's functionTimeout: the daily timer queues the
 * first step on the `jobs` queue, and each step queues the next (retentionStep).
 * - Uploaded bytes (`uploads/*`) older than RETENTION_DAYS_UPLOADS, whatever their result says.
 * - Result rows (and their JSON blob, and upload bytes if still there) completed more than
 *   RETENTION_DAYS_RESULTS ago, and `awaiting_upload` rows never uploaded within the uploads TTL.
 * Drop-folder originals in `images` are the owner's data and are never deleted; their result
 * expires like any other (Event Grid sends one event per write, so it is not classified again).
 */
import type { Services } from '../services';
import { cutoff, retentionFromEnv, type RetentionConfig, type RetentionStep } from './retentionConfig';
import { deleteStoredRecord } from './deleteResult';
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

/** The first step of a sweep as of `now`. */
export function firstRetentionStep(options: CleanupOptions = {}): RetentionStep {
  const retention = options.retention ?? retentionFromEnv();
  const now = options.now ?? new Date();
  return {
    phase: 'uploads',
    uploadsBefore: cutoff(now, retention.uploadsDays).toISOString(),
    resultsBefore: cutoff(now, retention.resultsDays).toISOString(),
    pageSize: options.pageSize ?? 500,
  };
}

/** Runs one page of a sweep; `next` is the step to queue, undefined when the sweep is done. */
export async function retentionStep(
  services: Pick<Services, 'results' | 'storage' | 'search'>,
  step: RetentionStep,
  options: { abortSignal?: AbortSignal } = {},
): Promise<CleanupResult & { next?: RetentionStep }> {
  if (step.phase === 'uploads') {
    const { deleted, continuationToken } = await deleteOldUploadsPage(services, step, options);
    const next: RetentionStep = continuationToken
      ? { ...step, continuationToken }
      : { ...step, phase: 'results', continuationToken: undefined };
    return { uploadsDeleted: deleted, resultsDeleted: 0, next };
  }
  const odata = (iso: string): string => `'${iso}'`;
  // ISO-8601 strings in UTC sort as times, so the service filters them with plain string comparison.
  const filter =
    `(completedAt lt ${odata(step.resultsBefore)}) or ` +
    `(status eq 'awaiting_upload' and createdAt lt ${odata(step.uploadsBefore)})`;
  let resultsDeleted = 0;
  let listed = 0;
  for await (const page of services.results.list({
    filter,
    pageSize: step.pageSize,
    abortSignal: options.abortSignal,
  })) {
    for (const record of page) {
      listed++;
      // The listing may be older than the row: only what is still the expired version goes.
      if (await deleteStoredRecord(services, record, { abortSignal: options.abortSignal, ifUnchanged: true }))
        resultsDeleted++;
    }
    break; // one page per step
  }
  // A full page that deleted something may have more behind it; a page that deleted nothing is
  // all rows changed since their listing (they no longer match), so the sweep is done.
  const more = listed === step.pageSize && resultsDeleted > 0;
  return { uploadsDeleted: 0, resultsDeleted, next: more ? step : undefined };
}

/** A whole sweep in this process, step after step (tests and tools; the app queues the steps). */
export async function cleanupExpired(
  services: Pick<Services, 'results' | 'storage' | 'search'>,
  options: CleanupOptions = {},
): Promise<CleanupResult> {
  const total: CleanupResult = { uploadsDeleted: 0, resultsDeleted: 0 };
  for (let step: RetentionStep | undefined = firstRetentionStep(options); step;) {
    const done = await retentionStep(services, step, options);
    total.uploadsDeleted += done.uploadsDeleted;
    total.resultsDeleted += done.resultsDeleted;
    step = done.next;
  }
  return total;
}

async function deleteOldUploadsPage(
  services: Pick<Services, 'storage'>,
  step: RetentionStep,
  options: { abortSignal?: AbortSignal },
): Promise<{ deleted: number; continuationToken?: string }> {
  const container = services.storage.blobs.getContainerClient(storageNames.uploadsContainer);
  const before = new Date(step.uploadsBefore);
  const pages = container
    .listBlobsFlat({ abortSignal: options.abortSignal })
    .byPage({ maxPageSize: step.pageSize, continuationToken: step.continuationToken });
  for await (const page of pages) {
    let deleted = 0;
    for (const blob of page.segment.blobItems) {
      if (blob.properties.lastModified >= before) continue;
      try {
        await container.getBlobClient(blob.name).delete({ abortSignal: options.abortSignal });
        deleted++;
      } catch (err) {
        if (!isStatus(err, 404)) throw err; // deleted meanwhile (DELETE /api/results/{id})
      }
    }
    return { deleted, continuationToken: page.continuationToken || undefined };
  }
  return { deleted: 0 };
}
