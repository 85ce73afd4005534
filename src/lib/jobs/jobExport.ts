/**
 * A job's results as JSON lines or CSV, produced page by page from the job's partition (see
 * jobStore.listJobResults), for `GET /api/jobs/{id}/results` and for the export blobs
 * `results/jobs/{id}.jsonl` and `.csv` written when the job ends.
 */
import { Readable } from 'node:stream';
import { csvHeader, csvRow } from '../results/csv';
import type { Services } from '../services';
import { storageNames } from '../storage/names';
import { jobExportNames } from './job';

export type ExportFormat = 'jsonl' | 'csv';
export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

export interface ExportOptions {
  abortSignal?: AbortSignal;
}

/** The export as text chunks, one per page of results (at most 1000 rows each). */
export async function* jobResultChunks(
  services: Pick<Services, 'jobs'>,
  jobId: string,
  format: ExportFormat,
  options: ExportOptions = {},
): AsyncGenerator<string, void> {
  if (format === 'csv') yield csvHeader();
  for await (const page of services.jobs.listResults(jobId, { abortSignal: options.abortSignal })) {
    if (page.results.length === 0) continue;
    yield format === 'csv'
      ? page.results.map((r) => csvRow(r)).join('')
      : page.results.map((r) => `${JSON.stringify(r)}\n`).join('');
  }
}

/** Writes both export blobs (streamed: 4 MiB blocks, never the whole job) and marks the job exported. */
export async function exportJob(
  services: Pick<Services, 'jobs' | 'storage'>,
  jobId: string,
  options: ExportOptions = {},
): Promise<boolean> {
  const { jobs, storage } = services;
  const record = await jobs.get(jobId, options);
  if (!record) return false;
  const container = storage.blobs.getContainerClient(storageNames.resultsContainer);
  const names = jobExportNames(jobId);
  for (const format of ['jsonl', 'csv'] as const) {
    await container
      .getBlockBlobClient(names[format])
      .uploadStream(Readable.from(jobResultChunks(services, jobId, format, options)), 4 * 1024 * 1024, 2, {
        blobHTTPHeaders: { blobContentType: EXPORT_CONTENT_TYPES[format] },
        abortSignal: options.abortSignal,
      });
  }
  // Best effort: a lost race only means a later export runs again, which is harmless.
  const now = await jobs.get(jobId, options);
  if (now && !now.job.exportedAt)
    await jobs.update({ ...now.job, exportedAt: new Date().toISOString() }, now.etag);
  return true;
}

/** The export as a web stream for an HTTP body: one page of results per pull. */
export function jobResultsStream(
  services: Pick<Services, 'jobs'>,
  jobId: string,
  format: ExportFormat,
): ReadableStream<Uint8Array> {
  const chunks = jobResultChunks(services, jobId, format);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(encoder.encode(value));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}
