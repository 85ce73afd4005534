/**
 * `POST /api/classify` through the real local stack (Azurite + the app as `npm start` runs it):
 *  - latency: one 500x375 JPEG photo, sequential requests on an idle app after warm-up, so p50
 *    and p95 are what one user waiting for one answer sees (HTTP, body, decode, inference);
 *  - throughput: 8 concurrent clients over the 250 dev photos, each photo once.
 * One row: p50/p95 from the first, images/s from the second; peak RSS is the app process's.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { photoFiles } from '../dataset';
import { startLocalApp } from '../localApp';
import { percentile, report, round, type ModeReport } from '../stats';

const WARM_UP = 20;
const SEQUENTIAL = 200;
const CLIENTS = 8;

async function classifyOnce(url: string, body: Uint8Array<ArrayBuffer>): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/api/classify`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body,
  });
  const answer = (await response.json()) as { error?: { message: string } };
  if (response.status !== 200)
    throw new Error(`POST /api/classify answered ${response.status}: ${answer.error?.message}`);
  return performance.now() - started;
}

/** The first dev photo of the dataset's typical size, 500x375. */
async function typicalPhoto(files: string[]): Promise<Uint8Array<ArrayBuffer>> {
  for (const file of files) {
    const bytes = await readFile(file);
    const { width, height } = await sharp(bytes).metadata();
    if (width === 500 && height === 375) return new Uint8Array(bytes);
  }
  throw new Error('No 500x375 photo in the dev set.');
}

export async function syncClassifyMode(): Promise<ModeReport> {
  const files = photoFiles();
  // Copied once into plain ArrayBuffers, the body type fetch takes, outside the timed part.
  const photos = await Promise.all(files.map(async (file) => new Uint8Array(await readFile(file))));
  const one = await typicalPhoto(files);
  const app = await startLocalApp();
  try {
    for (let i = 0; i < WARM_UP; i++) await classifyOnce(app.url, one);
    const sequential: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) sequential.push(await classifyOnce(app.url, one));

    const underLoad: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < photos.length) underLoad.push(await classifyOnce(app.url, photos[next++]));
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const { peakRssMb } = await app.stop();
    return {
      ...report('sync HTTP POST /api/classify', sequential, seconds),
      images: photos.length,
      imagesPerSecond: round(photos.length / seconds),
      peakRssMb,
      note:
        `p50/p95: one 500x375 JPEG, ${SEQUENTIAL} sequential requests, idle; images/s: ${CLIENTS} clients ` +
        `over ${photos.length} photos (p50 ${round(percentile(underLoad, 50))} ms under load); RSS: app process`,
    };
  } catch (err) {
    await app.stop().catch(() => undefined);
    throw err;
  }
}
