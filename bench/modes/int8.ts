/**
 * `npm run bench -- int8`: what the same answer on every CPU costs and buys, side by side in
 * one run. Three ways to run the default model's int8 weights: as published (what the project
 * served before; on CPUs without VNNI its sums clip), the shipped default (`u8-weights`: the
 * weights in uint8 form where this CPU would clip them), and ONNX Runtime's exact kernels
 * (`exact-kernels`, the reference). Rows: the CLI as users run it (`node bin/classify.js` over
 * the 250 photos, rounds alternated), inference alone (the same decoded crops, batches of 8),
 * and top-1 on both dev sets with each one's agreement with the reference.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeImage } from '../../src/lib/decode/decodeImage';
import { DEFAULT_LIMITS } from '../../src/lib/decode/limits';
import { u8s8IsExact, type Int8Mode } from '../../src/lib/model/int8Weights';
import { loadManifest, preprocessOf } from '../../src/lib/model/manifest';
import { ModelSession } from '../../src/lib/model/modelSession';
import { PROJECT_ROOT } from '../../src/lib/paths';
import { PHOTOS_DIR, SHARED_DIR } from '../dataset';
import { percentile, round, type ModeReport } from '../stats';

const ROUNDS = 5;
const BATCH = 8;
const WAYS: { mode: Int8Mode; name: string }[] = [
  { mode: 'as-published', name: 'as published (before)' },
  { mode: 'u8-weights', name: 'u8-weights (shipped default)' },
  { mode: 'exact-kernels', name: 'exact-kernels (reference)' },
];

/** The default manifest with another `int8`, under its own id, in a folder of its own. */
function manifestDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-int8-'));
  const base = loadManifest();
  for (const { mode } of WAYS) {
    const { manifestPath, labelNames: _l, ...manifest } = base;
    const labels = path.resolve(path.dirname(manifestPath), base.labels);
    writeFileSync(
      path.join(dir, `${mode}.json`),
      JSON.stringify({ ...manifest, id: `${base.id}-${mode}`, int8: mode, labels }),
    );
  }
  return dir;
}

interface Labelled {
  file: string;
  label: number;
}

export async function int8Mode(): Promise<ModeReport[]> {
  const dir = manifestDir();
  const base = loadManifest();
  const reports: ModeReport[] = [];
  const row = (mode: string, imagesPerSecond: number, seconds: number[], note: string): ModeReport => ({
    key: mode,
    mode,
    images: 250,
    seconds: round(percentile(seconds, 50)),
    imagesPerSecond: round(imagesPerSecond),
    p50Ms: NaN,
    p95Ms: NaN,
    peakRssMb: NaN,
    note,
  });

  // The CLI, as users run it, the two served ways alternated; median of the rounds.
  const cli: Record<string, number[]> = {};
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    for (const { mode } of WAYS.slice(0, 2)) {
      const started = performance.now();
      await promisify(execFile)(
        process.execPath,
        [path.join(PROJECT_ROOT, 'bin/classify.js'), PHOTOS_DIR, '--jsonl', '--model', `${base.id}-${mode}`],
        { env: { ...process.env, CLASSIFIER_MODELS_DIR: dir, NODE_NO_WARNINGS: '1' }, maxBuffer: 1 << 26 },
      );
      (cli[mode] ??= []).push((performance.now() - started) / 1000);
    }
  }
  const cliRate = (mode: string): number => 250 / percentile(cli[mode], 50);
  for (const { mode, name } of WAYS.slice(0, 2))
    reports.push(
      row(
        `int8: CLI, ${name}`,
        cliRate(mode),
        cli[mode],
        `node bin/classify.js, spawn to exit, median of ${ROUNDS}; ${(cliRate(mode) / cliRate('as-published')).toFixed(2)}x as published`,
      ),
    );

  // Inference alone and accuracy: every image decoded once, each way runs the same crops.
  const crop = preprocessOf(base);
  const decodeAll = async (files: string[]): Promise<Buffer[]> =>
    Promise.all(
      files.map(
        async (f) => (await decodeImage(readFileSync(f), { limits: DEFAULT_LIMITS, ...crop })).pixels,
      ),
    );
  const sets = await Promise.all(
    ['imagenet-val-dev', 'imagenet-photos-dev'].map(async (set) => {
      const root = path.join(SHARED_DIR, 'datasets', set);
      const labelled = JSON.parse(readFileSync(path.join(root, 'labels.json'), 'utf8')) as Labelled[];
      return { set, labelled, crops: await decodeAll(labelled.map((l) => path.join(root, l.file))) };
    }),
  );
  const photos = sets[1].crops;
  const sessions = await Promise.all(
    WAYS.map(({ mode }) =>
      ModelSession.create(loadManifest(path.join(dir, `${mode}.json`)), { download: false, thread: 'main' }),
    ),
  );
  const inferSeconds: number[][] = WAYS.map(() => []);
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    for (const [i, session] of sessions.entries()) {
      const started = performance.now();
      for (let at = 0; at < photos.length; at += BATCH) await session.run(photos.slice(at, at + BATCH));
      inferSeconds[i].push((performance.now() - started) / 1000);
    }
  }
  const inferRate = (i: number): number => photos.length / percentile(inferSeconds[i], 50);
  for (const [i, { name }] of WAYS.entries())
    reports.push(
      row(
        `int8: inference alone, ${name}`,
        inferRate(i),
        inferSeconds[i],
        `batch ${BATCH}, both cores, median of ${ROUNDS}; ${(inferRate(i) / inferRate(0)).toFixed(2)}x as published; rewritten weights ${sessions[i].info.rewrittenWeights}, computation ${sessions[i].info.computation}`,
      ),
    );

  const argmax = (p: Float32Array): number => p.reduce((best, v, i) => (v > p[best] ? i : best), 0);
  const details = [
    `Top-1 by way of running the int8 weights (this CPU ${u8s8IsExact() ? 'has' : 'has no'} VNNI):`,
    '',
    '| set | images | as published | u8-weights (shipped) | exact-kernels (reference) | top-1 agreeing with the reference: as published / shipped | largest score difference from the reference: as published / shipped |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const metrics: Record<string, number> = {};
  for (const { set, labelled, crops } of sets) {
    const outputs: Float32Array[][] = [];
    for (const session of sessions) {
      const rows: Float32Array[] = [];
      for (let at = 0; at < crops.length; at += BATCH)
        rows.push(...(await session.run(crops.slice(at, at + BATCH))));
      outputs.push(rows);
    }
    const top1 = outputs.map(
      (rows) => rows.filter((p, i) => argmax(p) === labelled[i].label).length / rows.length,
    );
    const agree = outputs.map(
      (rows) => rows.filter((p, i) => argmax(p) === argmax(outputs[2][i])).length / rows.length,
    );
    const maxDiff = outputs.map((rows) =>
      Math.max(...rows.map((p, i) => Math.max(...p.map((v, c) => Math.abs(v - outputs[2][i][c]))))),
    );
    const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
    details.push(
      `| ${set} | ${crops.length} | ${pct(top1[0])} | ${pct(top1[1])} | ${pct(top1[2])} | ${pct(agree[0])} / ${pct(agree[1])} | ${maxDiff[0].toFixed(3)} / ${maxDiff[1].toExponential(1)} |`,
    );
    metrics[`${set}:shippedAgreement`] = agree[1];
    metrics[`${set}:shippedTop1MinusReference`] = top1[1] - top1[2];
  }
  await Promise.all(sessions.map((s) => s.dispose()));
  metrics.cliRatio = cliRate('u8-weights') / cliRate('as-published');
  metrics.inferenceRatio = inferRate(1) / inferRate(0);
  reports[0].details = details;
  reports[0].metrics = metrics;
  return reports;
}
