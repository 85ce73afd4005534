/**
 * In-process modes, each run in its own child process (see bench/run.ts) so that peak RSS and
 * cold start are per mode:
 *  - seed: the student project's way, a new model session for every image;
 *  - naive: one session, decode then infer one image at a time;
 *  - pipeline: what `npx classify` does (bounded concurrent decode, batched inference).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Classifier } from '../../src/lib/classify/classifier';
import { classifyPipeline } from '../../src/lib/classify/pipeline';
import { decodeImage } from '../../src/lib/decode/decodeImage';
import { DEFAULT_LIMITS } from '../../src/lib/decode/limits';
import { loadManifest, preprocessOf } from '../../src/lib/model/manifest';
import { ModelSession } from '../../src/lib/model/modelSession';
import { photoFiles } from '../dataset';
import { treeCpuMs } from '../procTree';
import { report, type ModeReport } from '../stats';

const SEED_IMAGES = 25; // a new session per image is slow; a sample is enough for its rate

/** Decode then infer one file on the given session; returns how long each step took, ms. */
async function decodeAndInfer(
  session: ModelSession,
  file: string,
): Promise<{ decodeMs: number; inferMs: number }> {
  const crop = preprocessOf(session.manifest);
  const bytes = await readFile(file);
  const t0 = performance.now();
  const { pixels } = await decodeImage(bytes, { limits: DEFAULT_LIMITS, ...crop });
  const t1 = performance.now();
  await session.run([pixels]);
  return { decodeMs: t1 - t0, inferMs: performance.now() - t1 };
}

export async function seedMode(): Promise<ModeReport> {
  const manifest = loadManifest();
  const latencies: number[] = [];
  const started = performance.now();
  for (const file of photoFiles(SEED_IMAGES)) {
    const t = performance.now();
    await decodeAndInfer(await ModelSession.create(manifest, { download: false, thread: 'main' }), file);
    latencies.push(performance.now() - t);
  }
  return report('seed (new session per image)', latencies, (performance.now() - started) / 1000, {
    note: `first ${SEED_IMAGES} images`,
  });
}

export async function naiveMode(): Promise<ModeReport> {
  // onnxruntime's defaults (spinning threads), which suit this one-thing-at-a-time loop best.
  const session = await ModelSession.create(loadManifest(), {
    download: false,
    allowSpinning: true,
    thread: 'main',
  });
  const latencies: number[] = [];
  let decodeMs = 0;
  let inferMs = 0;
  const started = performance.now();
  for (const file of photoFiles()) {
    const t = performance.now();
    const steps = await decodeAndInfer(session, file);
    latencies.push(performance.now() - t);
    decodeMs += steps.decodeMs;
    inferMs += steps.inferMs;
  }
  // Alone, each step's wall time is close to its CPU cost: where a pipeline's time must go.
  const per = (ms: number): string => (ms / latencies.length).toFixed(1);
  return report('naive loop (decode, infer, repeat)', latencies, (performance.now() - started) / 1000, {
    note: `per image: decode ${per(decodeMs)} ms (one core), infer ${per(inferMs)} ms (both cores)`,
  });
}

export async function pipelineMode(): Promise<ModeReport> {
  const classifier = await Classifier.create({ download: false });
  const latencies: number[] = [];
  const started = performance.now();
  const items = photoFiles().map((file) => ({
    input: { name: path.basename(file) },
    read: () => readFile(file),
  }));
  const cpuBefore = treeCpuMs(process.pid); // the decoder process's work included
  for await (const result of classifyPipeline(items, classifier)) {
    if (result.status !== 'succeeded') throw new Error(`${result.source.name}: ${result.error?.message}`);
    latencies.push(result.timings.totalMs);
  }
  const cpuPerImage = Math.round((treeCpuMs(process.pid) - cpuBefore) / latencies.length);
  await classifier.close();
  return report('CLI pipeline (npx classify)', latencies, (performance.now() - started) / 1000, {
    note: `latency: read to result, 24 in flight; CPU per image ${cpuPerImage} ms`,
  });
}
