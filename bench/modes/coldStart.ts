/**
 * Cold start: from spawning `node bin/classify.js <one photo> --json` to its exit with the
 * result: process start, module loading, model verification, session creation and warm-up,
 * one decode and one inference. Repeated; the median is reported.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/lib/paths';
import { photoFiles } from '../dataset';
import { startLocalApp } from '../localApp';
import { percentile, report, type ModeReport } from '../stats';

const RUNS = 7;

export async function coldStartMode(): Promise<ModeReport> {
  const [file] = photoFiles(1);
  const times: number[] = [];
  let peakRssKb = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const args = [
      '-r',
      path.join(__dirname, '../rssProbe.js'),
      path.join(PROJECT_ROOT, 'bin/classify.js'),
      file,
      '--json',
    ];
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args);
    times.push(performance.now() - t);
    if (!stdout.includes('"succeeded"')) throw new Error(`cold start run did not succeed: ${stdout}`);
    peakRssKb = Math.max(peakRssKb, Number(/maxRssKb=(\d+)/.exec(stderr)?.[1] ?? 0));
  }
  return {
    ...report('cold start: classify one photo', times, times.reduce((a, b) => a + b, 0) / 1000),
    peakRssMb: Math.round(peakRssKb / 1024),
    imagesPerSecond: null,
    firstResultMs: Math.round(percentile(times, 50)),
    note: `process spawn to exit, median of ${RUNS}`,
  };
}

/**
 * Cold start of the local host: from spawning the app (Azurite already up, as in Azure where
 * storage is always there) to the first answer of POST /api/classify for one photo.
 */
export async function hostColdStartMode(): Promise<ModeReport> {
  const [file] = photoFiles(1);
  const bytes = new Uint8Array(await readFile(file));
  const times: number[] = [];
  let peakRssMb = 0;
  for (let i = 0; i < 3; i++) {
    const app = await startLocalApp();
    const res = await fetch(`${app.url}/api/classify`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: bytes,
    });
    times.push(performance.now() - app.spawnedAt);
    if (res.status !== 200) throw new Error(`first classify answered ${res.status}`);
    peakRssMb = Math.max(peakRssMb, (await app.stop()).peakRssMb);
  }
  return {
    ...report('cold start: local host, first result', times, times.reduce((a, b) => a + b, 0) / 1000),
    imagesPerSecond: null,
    peakRssMb,
    firstResultMs: Math.round(percentile(times, 50)),
    note: 'app spawn to first POST /api/classify answer, median of 3',
  };
}
