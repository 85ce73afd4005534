/**
 * Many models in one process: six models (six manifests of the default model's file,
 * each loaded as its own session, thread and batcher) used in turn, round after round, once
 * with a memory budget that holds two and once with room for all three. Reports the resident
 * set after each use (the budget is what keeps it flat), what a first request for a model costs
 * (its load and warm-up), and what a request costs once it is loaded.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Models } from '../../src/lib/classify/models';
import { DEFAULT_MODEL_ID } from '../../src/lib/model/manifest';
import { MODELS_DIR } from '../../src/lib/paths';
import { photoFiles } from '../dataset';
import { percentile, report, type ModeReport } from '../stats';

const ROUNDS = Number(process.env.BENCH_MODELS_ROUNDS ?? 3);
const IDS = ['model-a', 'model-b', 'model-c', 'model-d', 'model-e', 'model-f'];

function threeManifests(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-models-'));
  const base = JSON.parse(readFileSync(path.join(MODELS_DIR, `${DEFAULT_MODEL_ID}.json`), 'utf8')) as {
    labels: string;
  };
  for (const id of IDS) {
    writeFileSync(
      path.join(dir, `${id}.json`),
      JSON.stringify({ ...base, id, labels: path.join(MODELS_DIR, base.labels) }),
    );
  }
  return dir;
}

async function inTurn(
  dir: string,
  budgetBytes: number,
  image: Buffer,
): Promise<{ rssMb: number[]; firstMs: number[]; loadedMs: number[]; loads: number; perModelMb: number }> {
  const models = new Models({ manifestDirs: [dir], memoryBudgetBytes: budgetBytes });
  const rssMb: number[] = [];
  const firstMs: number[] = [];
  const loadedMs: number[] = [];
  let loads = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const id of IDS) {
      const wasLoaded = models.loaded().some((m) => m.id === id);
      const t = performance.now();
      const result = await (await models.classifier(id)).classify(image, { name: 'photo' });
      if (result.status !== 'succeeded') throw new Error(`model ${id} failed: ${result.error?.message}`);
      (wasLoaded ? loadedMs : firstMs).push(performance.now() - t);
      if (!wasLoaded) loads++;
      // Let an evicted model's thread end before reading the resident set.
      await new Promise((r) => setTimeout(r, 200));
      rssMb.push(process.memoryUsage.rss() / 2 ** 20);
    }
  }
  const perModelMb = models.loaded()[0].bytes / 2 ** 20;
  await models.close();
  return { rssMb, firstMs, loadedMs, loads, perModelMb };
}

const fmt = (n: number): string => n.toFixed(0);

function summary(
  name: string,
  key: string,
  run: Awaited<ReturnType<typeof inTurn>>,
  note: string,
): ModeReport {
  return report(name, [...run.firstMs, ...run.loadedMs], 0, {
    key,
    imagesPerSecond: null,
    p50Ms: Math.round(percentile(run.loadedMs, 50) * 10) / 10,
    p95Ms: Math.round(percentile(run.firstMs, 50)),
    note:
      `${note}; ${run.loads} loads in ${ROUNDS} rounds; RSS after each use ${fmt(Math.min(...run.rssMb))}-${fmt(Math.max(...run.rssMb))} MB, ` +
      `last round ${fmt(Math.max(...run.rssMb.slice(-IDS.length)))} MB; p50 = a request to a loaded model, p95 column = a first request (load + warm-up)`,
    metrics: { rssMaxMb: Math.max(...run.rssMb), perModelMb: run.perModelMb, loads: run.loads },
  });
}

/** All six kept (budget unbounded). */
export async function modelsMode(): Promise<ModeReport> {
  const run = await inTurn(threeManifests(), Number.MAX_SAFE_INTEGER, await readFile(photoFiles(1)[0]));
  return summary('6 models in turn, all kept', 'models', run, `one model ~${fmt(run.perModelMb)} MB`);
}

/** A budget of two and a half models (its own process, so the loads are measured on fresh memory). */
export async function modelsBudgetMode(): Promise<ModeReport> {
  const budgetMb = Number(process.env.BENCH_MODELS_BUDGET_MB ?? 75);
  const run = await inTurn(threeManifests(), budgetMb * 2 ** 20, await readFile(photoFiles(1)[0]));
  return summary(
    `6 models in turn, CLASSIFIER_MODELS_MEMORY_MB ${budgetMb}`,
    'modelsBudget',
    run,
    `one model ~${fmt(run.perModelMb)} MB, least recently used unloaded`,
  );
}
