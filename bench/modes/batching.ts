/**
 * The micro-batcher's two knobs, measured on this machine: the CLI pipeline over the 250
 * photos with different batch caps, and with an idle-wait cap that holds a lone image back
 * to gather company. One row per setting; `npm run bench -- batching`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Classifier, type ClassifierOptions } from '../../src/lib/classify/classifier';
import { classifyPipeline } from '../../src/lib/classify/pipeline';
import { photoFiles } from '../dataset';
import { report, type ModeReport } from '../stats';

const SETTINGS: ClassifierOptions[] = [
  { maxBatchSize: 1, maxWaitMs: 0 },
  { maxBatchSize: 4, maxWaitMs: 0 },
  { maxBatchSize: 8, maxWaitMs: 0 },
  { maxBatchSize: 16, maxWaitMs: 0 },
  { maxBatchSize: 8, maxWaitMs: 2 },
  { maxBatchSize: 8, maxWaitMs: 5 },
];

export async function batchingMode(): Promise<ModeReport[]> {
  const reports: ModeReport[] = [];
  const files = photoFiles();
  for (const setting of SETTINGS) {
    const classifier = await Classifier.create({ download: false, ...setting });
    const window = Math.max(24, (setting.maxBatchSize ?? 8) * 2);
    const items = files.map((file) => ({ input: { name: path.basename(file) }, read: () => readFile(file) }));
    const latencies: number[] = [];
    const started = performance.now();
    for await (const result of classifyPipeline(items, classifier, { window }))
      latencies.push(result.timings.totalMs);
    const seconds = (performance.now() - started) / 1000;
    await classifier.close();
    reports.push(
      report(`pipeline, batch <= ${setting.maxBatchSize}, wait ${setting.maxWaitMs} ms`, latencies, seconds, {
        key: `batch${setting.maxBatchSize}wait${setting.maxWaitMs}`,
        note: `window ${window}`,
      }),
    );
  }
  return reports;
}
