/**
 * Bulk jobs through the real local stack (Azurite + the app as `npm start` runs it):
 *  - throughput: the 250 dev photos uploaded to a container prefix first (not timed), then
 *    POST /api/jobs until GET /api/jobs/{id} says `succeeded`: listing, queueing, download,
 *    classification, result rows, job counts;
 *  - listing cost: a dry-run job over 3000 tiny blobs (listing pages and counting only, no
 *    classification), as blobs listed per second.
 * Latencies are the per-image `timings.totalMs` (queued to result). Peak RSS: the app process.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { PROJECT_ROOT } from '../../src/lib/paths';
import { startAzurite } from '../../src/local/azurite';
import type { JobView } from '../../src/lib/jobs/job';
import type { ClassificationResult } from '../../src/lib/results/result';
import { photoFiles } from '../dataset';
import { report, round, type ModeReport } from '../stats';

const TINY_BLOBS = 3000;

async function startApp(): Promise<{ url: string; blobs: BlobServiceClient; stop(): Promise<number> }> {
  const azurite = await startAzurite({ inMemoryPersistence: true });
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist/src/local/start.js')], {
    env: { ...process.env, AzureWebJobsStorage: azurite.connectionString, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-20_000);
      const m = /Upload page: +(http:\/\/localhost:\d+)\//.exec(output);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`The app exited with ${code}:\n${output}`)));
  });
  child.removeAllListeners('exit');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    blobs: BlobServiceClient.fromConnectionString(azurite.connectionString),
    async stop() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const peakKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
      child.kill('SIGTERM');
      await exited;
      await azurite.stop();
      return Math.round(peakKb / 1024);
    },
  };
}

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
  const app = await startApp();
  try {
    await seed(app.blobs, 'photos/', photos);
    const { job, seconds } = await runJob(app.url, { container: 'bench', prefix: 'photos/' });
    if (job.succeeded !== photos.length)
      throw new Error(`The job ended ${job.status} with ${job.succeeded} succeeded.`);
    const results = (await (await fetch(`${app.url}/api/jobs/${job.id}/results`)).text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ClassificationResult);

    await seed(
      app.blobs,
      'tiny/',
      Array.from({ length: TINY_BLOBS }, (_, i) => [`${i}.txt`, Buffer.from('x')]),
    );
    const listing = await runJob(app.url, { container: 'bench', prefix: 'tiny/', dryRun: true });
    const peakRssMb = await app.stop();
    return {
      ...report(
        'jobs: POST /api/jobs over 250 photos',
        results.map((r) => r.timings.totalMs),
        seconds,
      ),
      peakRssMb,
      note:
        `POST -> succeeded, queue-driven; latency: queued to result; listing (dry run, pages of 1000): ` +
        `${round(listing.job.total / listing.seconds)} blobs/s over ${listing.job.total} blobs`,
    };
  } catch (err) {
    await app.stop().catch(() => undefined);
    throw err;
  }
}
