/**
 * A large job export through the app: BENCH_EXPORT_ROWS (default 20,000; Azurite takes rows into
 * one partition more slowly as it fills: 20,000 in a minute here, 60,000 in ten) results counted into
 * one job (written with the job store's own transactions, 99 rows each), then
 * `GET /api/jobs/{id}/results?format=jsonl` read to the end while the app process's resident
 * set is sampled every 50 ms. With HTTP streaming the export leaves page by page, so the
 * resident set stays where it was; a buffered host would hold the whole body (about 600 bytes
 * per row) before sending a byte.
 */
import { newJob } from '../../src/lib/jobs/job';
import { JobStore } from '../../src/lib/jobs/jobStore';
import { newResult, type ClassificationResult } from '../../src/lib/results/result';
import { createStorageClients } from '../../src/lib/storage/clients';
import { startLocalApp } from '../localApp';
import { treeRssKb } from '../procTree';
import type { ModeReport } from '../stats';

const rssMbOf = (pid: number): number => treeRssKb(pid) / 1024;

export async function exportStreamMode(): Promise<ModeReport> {
  const rows = Number(process.env.BENCH_EXPORT_ROWS ?? 20_000);
  const app = await startLocalApp();
  try {
    const jobs = new JobStore(createStorageClients({ AzureWebJobsStorage: app.connectionString }));
    const job = newJob({ kind: 'upload', total: rows, listingComplete: true });
    await jobs.create(job);
    let etag = (await jobs.get(job.id))!.etag;
    const seedStarted = performance.now();
    for (let at = 0; at < rows; at += 99) {
      const batch: ClassificationResult[] = [];
      for (let i = at; i < Math.min(rows, at + 99); i++) {
        const r = newResult({
          id: `bench-${i}`,
          status: 'succeeded',
          source: {
            name: `photos/${i}.jpg`,
            bytes: 23133,
            sha256: 'f'.repeat(64),
            contentType: 'image/jpeg',
          },
          model: { id: 'mobilenetv2-12-int8', sha256: 'a'.repeat(64) },
          jobId: job.id,
        });
        r.predictions = [
          { label: 'tabby, tabby cat', classIndex: 281, score: 0.71 },
          { label: 'tiger cat', classIndex: 282, score: 0.2 },
          { label: 'Egyptian cat', classIndex: 285, score: 0.05 },
          { label: 'lynx, catamount', classIndex: 287, score: 0.02 },
          { label: 'plastic bag', classIndex: 728, score: 0.01 },
        ];
        r.completedAt = r.createdAt;
        batch.push(r);
      }
      job.succeeded += batch.length;
      etag = await jobs.commitResults(job, etag, batch);
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const before = rssMbOf(app.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMbOf(app.pid))), 50);
    const started = performance.now();
    const res = await fetch(`${app.url}/api/jobs/${job.id}/results?format=jsonl`);
    const reader = res.body!.getReader();
    let bytes = 0;
    let lines = 0;
    let firstByteMs = NaN;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - started;
      bytes += r.value.byteLength;
      for (const b of r.value) if (b === 10) lines++;
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    if (lines !== rows) throw new Error(`the export had ${lines} lines for ${rows} results`);
    return {
      mode: `job export, ${rows} rows, streamed (jsonl)`,
      images: rows,
      seconds: Math.round(seconds * 10) / 10,
      imagesPerSecond: Math.round(rows / seconds),
      p50Ms: Math.round(firstByteMs),
      p95Ms: NaN,
      peakRssMb: Math.round(peak),
      note:
        `${(bytes / 2 ** 20).toFixed(0)} MB in ${seconds.toFixed(1)} s; app RSS ${before.toFixed(0)} MB before, ` +
        `${peak.toFixed(0)} MB at most while streaming (+${(peak - before).toFixed(0)} MB); p50 = first byte ms; ` +
        `rows seeded in ${seedSeconds.toFixed(0)} s`,
      metrics: { rssGrowthMb: peak - before, exportMb: bytes / 2 ** 20 },
    };
  } finally {
    await app.stop();
  }
}
