/**
 * Bulk jobs through the real local stack (Azurite + the app as `npm start` runs it):
 *  - throughput: the 250 dev photos uploaded to a container prefix first (not timed), then
 *    POST /api/jobs until GET /api/jobs/{id} says `succeeded`: listing, queueing, download,
 *    classification, result rows, job counts;
 *  - listing cost: a dry-run job over 3000 tiny blobs (listing pages and counting only, no
 *    classification), as blobs listed per second.
 * Latencies are the per-image `timings.totalMs` (queued to result). Peak RSS: the app process.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import type { JobView } from '../../src/lib/jobs/job';
import type { ClassificationResult } from '../../src/lib/results/result';
import { photoFiles } from '../dataset';
import { cpuPerImage, startLocalApp } from '../localApp';
import { report, round, type ModeReport } from '../stats';

const TINY_BLOBS = 3000;

async function runJob(url: string, body: unknown): Promise<{ job: JobView; seconds: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/api/jobs`, { method: 'POST', body: JSON.stringify(body) });
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const job = (await (await fetch(`${url}/api/jobs/${id}`)).json()) as JobView;
    if (job.status !== 'running') return { job, seconds: (performance.now() - started) / 1000 };
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function seed(blobs: BlobServiceClient, prefix: string, items: [string, Buffer][]): Promise<void> {
  const container = blobs.getContainerClient('bench');
  await container.createIfNotExists();
  for (let i = 0; i < items.length; i += 32) {
    await Promise.all(
      items
        .slice(i, i + 32)
        .map(([name, bytes]) => container.getBlockBlobClient(`${prefix}${name}`).uploadData(bytes)),
    );
  }
}

export async function jobsMode(): Promise<ModeReport> {
  const files = photoFiles();
  const photos = await Promise.all(
    files.map(async (f) => [path.basename(f), await readFile(f)] as [string, Buffer]),
  );
  const app = await startLocalApp();
  const blobs = BlobServiceClient.fromConnectionString(app.connectionString);
  try {
    await seed(blobs, 'photos/', photos);
    const cpuBefore = app.cpuMs();
    const { job, seconds } = await runJob(app.url, { container: 'bench', prefix: 'photos/' });
    const cpu = cpuPerImage(cpuBefore, app.cpuMs(), photos.length);
    if (job.succeeded !== photos.length)
      throw new Error(`The job ended ${job.status} with ${job.succeeded} succeeded.`);
    const results = (await (await fetch(`${app.url}/api/jobs/${job.id}/results`)).text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ClassificationResult);

    await seed(
      blobs,
      'tiny/',
      Array.from({ length: TINY_BLOBS }, (_, i) => [`${i}.txt`, Buffer.from('x')]),
    );
    const listing = await runJob(app.url, { container: 'bench', prefix: 'tiny/', dryRun: true });
    const { peakRssMb } = await app.stop();
    return {
      ...report(
        'jobs: POST /api/jobs over 250 photos',
        results.map((r) => r.timings.totalMs),
        seconds,
      ),
      peakRssMb,
      note:
        `POST -> succeeded, queue-driven; latency: queued to result; ${cpu}; listing (dry run, pages of 1000): ` +
        `${round(listing.job.total / listing.seconds)} blobs/s over ${listing.job.total} blobs`,
    };
  } catch (err) {
    await app.stop().catch(() => undefined);
    throw err;
  }
}
