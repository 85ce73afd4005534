/**
 * Cold start: from spawning `node bin/classify.js <one photo> --json` to its exit with the
 * result: process start, module loading, model verification, session creation and warm-up,
 * one decode and one inference. Repeated; the median is reported.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/lib/paths';
import { photoFiles } from '../dataset';
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
