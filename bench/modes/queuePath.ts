/**
 * The queue path through the local host and Azurite, as users drive it: POST /api/uploads,
 * PUT to the SAS URL, then poll the status URL.
 *  - queueLatency: one photo at a time on an idle stack; upload-to-result latency.
 *  - queuePath: all 250 dev photos, 16 clients at once; images/s from first POST to last result.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClassificationResult } from '../../src/lib/results/result';
import { photoFiles } from '../dataset';
import { cpuPerImage, postAndPut, startLocalApp } from '../localApp';
import { report, type ModeReport } from '../stats';

const LATENCY_SAMPLES = 30;
const CLIENTS = 16;
/** One client alone measures latency, so it polls tightly; many clients poll like the page does. */
const LATENCY_POLL_MS = 25;
const THROUGHPUT_POLL_MS = 250;

/**
 * Uploads one file and polls until its result is terminal; returns ms from POST to result.
 * Polling starts at `firstPollMs` and backs off by half each time up to 1 s, like the page.
 */
async function uploadAndWait(baseUrl: string, file: string, firstPollMs: number): Promise<number> {
  const bytes = await readFile(file);
  const started = performance.now();
  const ticket = await postAndPut(baseUrl, path.basename(file), bytes);
  for (let poll = firstPollMs; ; poll = Math.min(1000, poll * 1.5)) {
    const result = (await (await fetch(ticket.statusUrl)).json()) as ClassificationResult;
    if (result.status === 'succeeded') return performance.now() - started;
    if (result.status === 'failed') throw new Error(`${file}: ${result.error?.message}`);
    await new Promise((r) => setTimeout(r, poll));
  }
}

export async function queueLatencyMode(): Promise<ModeReport> {
  const app = await startLocalApp();
  const files = photoFiles(LATENCY_SAMPLES + 3);
  for (const file of files.slice(0, 3)) await uploadAndWait(app.url, file, LATENCY_POLL_MS); // warm-up
  const latencies: number[] = [];
  const started = performance.now();
  for (const file of files.slice(3)) {
    latencies.push(await uploadAndWait(app.url, file, LATENCY_POLL_MS));
    await new Promise((r) => setTimeout(r, 1000)); // let the stack go idle again
  }
  const seconds = (performance.now() - started) / 1000;
  const { peakRssMb } = await app.stop();
  return {
    ...report('queue path latency (idle stack)', latencies, seconds, { peakRssMb }),
    imagesPerSecond: null,
    note: `upload-to-result, one at a time, polling from ${LATENCY_POLL_MS} ms`,
  };
}

export async function queuePathMode(): Promise<ModeReport> {
  const app = await startLocalApp();
  for (const file of photoFiles(3)) await uploadAndWait(app.url, file, THROUGHPUT_POLL_MS); // warm-up
  const files = photoFiles();
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = app.cpuMs();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < files.length)
        latencies.push(await uploadAndWait(app.url, files[next++], THROUGHPUT_POLL_MS));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuPerImage(cpuBefore, app.cpuMs(), files.length);
  const { peakRssMb } = await app.stop();
  return report('upload path (POST, PUT, Event Grid event, inline classification)', latencies, seconds, {
    peakRssMb,
    note: `${CLIENTS} clients polling from ${THROUGHPUT_POLL_MS} ms; ${cpu}; peak RSS of the app`,
  });
}
