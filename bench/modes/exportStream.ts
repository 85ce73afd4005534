/**
 * A large job export through the app: BENCH_EXPORT_ROWS (default 200,000) succeeded results
 * counted into one job (seeded into Azurite's data by bench/seedJobRows.ts: through the API
 * Azurite would take hours for that many rows in one partition), then
 * `GET /api/jobs/{id}/results?format=jsonl` read to the end while the memory of the app and its
 * decoder process is sampled every 50 ms. With HTTP streaming the export leaves page by page,
 * so the memory stays where it was; a buffered host would hold the whole body (about 800 bytes
 * per row) before sending a byte.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalApp } from '../localApp';
import { treeRssKb } from '../procTree';
import { seedJobRows } from '../seedJobRows';
import type { ModeReport } from '../stats';

const rssMbOf = (pid: number): number => treeRssKb(pid) / 1024;

export async function exportStreamMode(): Promise<ModeReport> {
  const rows = Number(process.env.BENCH_EXPORT_ROWS ?? 200_000);
  const location = mkdtempSync(path.join(os.tmpdir(), 'bench-export-'));
  const seedStarted = performance.now();
  const jobId = await seedJobRows(location, rows);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const app = await startLocalApp({ azuriteLocation: location });
  try {
    const before = rssMbOf(app.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMbOf(app.pid))), 50);
    const started = performance.now();
    const res = await fetch(`${app.url}/api/jobs/${jobId}/results?format=jsonl`);
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
        `rows seeded in ${seedSeconds.toFixed(0)} s (bench/seedJobRows.ts)`,
      metrics: { rssGrowthMb: peak - before, exportMb: bytes / 2 ** 20 },
    };
  } finally {
    await app.stop();
    rmSync(location, { recursive: true, force: true });
  }
}
