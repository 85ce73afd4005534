/**
 * OpenTelemetry, measured: the same drop-folder batch (the 250 dev photos, plus one broken
 * file) through the local app twice, once without and once with APPLICATIONINSIGHTS_CONNECTION_STRING
 * (pointed at the ingestion stand-in, tools/ingestionStandIn.ts). Reports what arrived, as
 * Application Insights would store it (the classifier's metrics, with images/s computed from the
 * counter's points as the Kusto query in docs/monitoring.md does), and what telemetry costs:
 * CPU per image and wall time of the batch, side by side.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { metricPoints, startIngestion, type Ingestion } from '../../tools/ingestionStandIn';
import { photoFiles } from '../dataset';
import { cpuMsPerImage, startLocalApp } from '../localApp';
import { round, type ModeReport } from '../stats';

interface Run {
  seconds: number;
  cpuMsPerImage: number;
  peakRssMb: number;
}

async function dropBatch(env: Record<string, string>, files: string[], broken: Buffer): Promise<Run> {
  const app = await startLocalApp({ env });
  try {
    const images = BlobServiceClient.fromConnectionString(app.connectionString).getContainerClient('images');
    const results = BlobServiceClient.fromConnectionString(app.connectionString).getContainerClient(
      'results',
    );
    const bytes = await Promise.all(files.map((f) => readFile(f)));
    const cpuBefore = app.cpuMs();
    const started = performance.now();
    await Promise.all([
      ...files.map((f, i) => images.getBlockBlobClient(`bench/${path.basename(f)}`).uploadData(bytes[i])),
      images.getBlockBlobClient('bench/broken.png').uploadData(broken),
    ]);
    // Every image's JSON blob is written once it is terminal.
    for (;;) {
      let count = 0;
      for await (const _ of results.listBlobsFlat({ prefix: 'images/bench/' })) count++;
      if (count >= files.length + 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuMsPerImage(cpuBefore, app.cpuMs(), files.length + 1);
    const { peakRssMb } = await app.stop();
    return { seconds, cpuMsPerImage: cpu.app, peakRssMb };
  } catch (err) {
    await app.stop();
    throw err;
  }
}

/** Waits until the exporter has sent a count for every image (it exports every second here). */
async function countsArrived(ingestion: Ingestion, images: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (metricPoints(ingestion.envelopes, 'classifier.images').reduce((n, p) => n + p.value, 0) < images) {
    if (Date.now() > deadline) throw new Error('The image counts did not all arrive within 30 s.');
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function telemetryMode(): Promise<ModeReport> {
  const files = photoFiles();
  const broken = (await readFile(files[0])).subarray(0, 3000);
  const off = await dropBatch({}, files, broken);
  const ingestion = await startIngestion();
  let on: Run;
  try {
    on = await dropBatch({ ...ingestion.env, OTEL_METRIC_EXPORT_INTERVAL: '1000' }, files, broken);
    await countsArrived(ingestion, files.length + 1);
  } finally {
    await ingestion.close();
  }
  const counts = new Map<string, number>();
  const perInterval = new Map<string, number>();
  for (const p of metricPoints(ingestion.envelopes, 'classifier.images')) {
    const key = `${p.properties['classifier.path']}, ${p.properties['classifier.status']}${p.properties['classifier.error_code'] ? `, ${p.properties['classifier.error_code']}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + p.value);
  }
  // images/s as Kusto gets it: the counter's points summed per export interval (1 s here).
  for (const e of ingestion.envelopes) {
    const base = e.data.baseData as { metrics?: { name: string; value: number }[] };
    for (const m of base.metrics ?? [])
      if (m.name === 'classifier.images')
        perInterval.set(e.time.slice(0, 19), (perInterval.get(e.time.slice(0, 19)) ?? 0) + m.value);
  }
  const rates = [...perInterval.values()];
  const histogram = (name: string) => {
    const points = metricPoints(ingestion.envelopes, name);
    const count = points.reduce((n, p) => n + p.count, 0);
    const sum = points.reduce((n, p) => n + p.value, 0);
    return { count, meanMs: round(sum / count) };
  };
  const duration = histogram('classifier.image.duration');
  const queue = histogram('classifier.queue.latency');
  const kinds = new Map<string, number>();
  for (const e of ingestion.envelopes) kinds.set(e.data.baseType, (kinds.get(e.data.baseType) ?? 0) + 1);
  const cpuRatio = round(on.cpuMsPerImage / off.cpuMsPerImage);
  return {
    mode: 'telemetry (OpenTelemetry on vs off, drop folder)',
    images: files.length + 1,
    seconds: round(on.seconds),
    imagesPerSecond: round((files.length + 1) / on.seconds),
    p50Ms: duration.meanMs, // the histogram keeps sums, not percentiles
    p95Ms: NaN,
    peakRssMb: on.peakRssMb,
    note:
      `CPU per image: ${off.cpuMsPerImage} ms off, ${on.cpuMsPerImage} ms on (${cpuRatio}x); batch ${round(off.seconds)} s off, ${round(on.seconds)} s on; ` +
      `peak RSS ${off.peakRssMb} MB off, ${on.peakRssMb} MB on; p50 column = mean duration from the histogram`,
    details: [
      'What the exporter sent (what Application Insights would store):',
      '',
      '| metric | points | value |',
      '| --- | --- | --- |',
      ...[...counts].map(([key, n]) => `| classifier.images {${key}} | | ${n} |`),
      `| classifier.images per second (per 1 s export) | ${rates.length} | max ${Math.max(...rates)}, mean ${round(rates.reduce((a, b) => a + b, 0) / rates.length)} |`,
      `| classifier.image.duration | ${duration.count} | mean ${duration.meanMs} ms |`,
      `| classifier.queue.latency | ${queue.count} | mean ${queue.meanMs} ms |`,
      '',
      `Envelopes: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')} (spans sampled at the distro's default of 5 traces a second; metrics are exact).`,
    ],
    metrics: {
      cpuMsPerImageOff: off.cpuMsPerImage,
      cpuMsPerImageOn: on.cpuMsPerImage,
      cpuRatio,
      secondsOff: round(off.seconds),
      secondsOn: round(on.seconds),
    },
  };
}
