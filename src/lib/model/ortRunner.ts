/**
 * One ONNX Runtime session and the tensor work around it: interleaved RGB crops are written
 * straight into the batch tensor the way the manifest says the model wants them (layout NCHW
 * or NHWC, RGB or BGR, scaled to 0-1, 0-255 or -1-1, then mean and std), and the output
 * becomes scores (softmax of logits, sigmoid per class, or probabilities as they are). Runs
 * wherever the session lives: on the main thread, or inside the inference thread.
 */
import { readFile } from 'node:fs/promises';
import type { InferenceSession } from 'onnxruntime-node';
import { planSession, type Computation, type Int8Mode } from './int8Weights';
import { preprocessOf, type ModelManifest, type Preprocess } from './manifest';

export interface OrtRunnerOptions {
  modelPath: string;
  threads: number;
  allowSpinning: boolean;
  /** How int8 weights run (the manifest's `int8`). */
  int8: Int8Mode;
  /** Whether this CPU adds u8s8 products exactly (u8s8IsExact()); decided by the caller so tests can choose. */
  u8s8Exact: boolean;
}

/** What a runner tells about itself once loaded. */
export interface RunnerInfo {
  computation: Computation;
  /** The uint8 weight tensors the session runs in place of the file's int8 ones. */
  rewrittenWeights: number;
  warning?: string;
}

type ManifestParts = Pick<ModelManifest, 'id' | 'input' | 'output' | 'preprocessing'> & {
  /** How many labels the manifest has: the output must have as many classes. */
  classes: number;
};

/** A byte v scaled: v * a + b. */
const SCALES: Record<Preprocess['scale'], { a: number; b: number }> = {
  '0-1': { a: 1 / 255, b: 0 },
  '0-255': { a: 1, b: 0 },
  '-1-1': { a: 2 / 255, b: -1 },
};

export class OrtRunner {
  /** Per model channel: the byte's weight and offset ((v * a + b - mean) / std), and which RGB byte it reads. */
  private readonly scale: Float32Array;
  private readonly offset: Float32Array;
  private readonly source: Uint8Array;
  /**
   * The model takes one image per call (exported with a fixed batch dimension of 1, as
   * torch.onnx.export does without dynamic_axes): a batch is then run one image at a time.
   */
  private oneAtATime = false;

  private constructor(
    private readonly manifest: ManifestParts,
    private readonly session: InferenceSession,
    private readonly ort: typeof import('onnxruntime-node'),
    readonly info: RunnerInfo,
  ) {
    const { mean, std, scale, channels } = preprocessOf(manifest);
    const { a, b } = SCALES[scale];
    this.scale = Float32Array.from(std, (s) => a / s);
    this.offset = Float32Array.from(mean, (m, c) => (b - m) / std[c]);
    this.source = Uint8Array.from(channels === 'BGR' ? [2, 1, 0] : [0, 1, 2]);
  }

  /** Creates the session and runs one warm-up pass. */
  static async create(manifest: ManifestParts, options: OrtRunnerOptions): Promise<OrtRunner> {
    // Required lazily: loading the native runtime costs ~100 ms that `classify --help` should not pay.
    const ort = await import('onnxruntime-node');
    const plan = planSession(await readFile(options.modelPath), {
      mode: options.int8,
      u8s8Exact: options.u8s8Exact,
      name: manifest.id,
    });
    const session = await ort.InferenceSession.create(plan.model, {
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      extra: {
        session: {
          // Spinning threads wait hot for the next op; with decodes competing for the same two
          // cores that steals their CPU (bench: pipeline 121 -> 156 images/s with spinning off).
          intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' },
          ...plan.sessionConfig,
        },
      },
    });
    const runner = new OrtRunner(manifest, session, ort, {
      computation: plan.computation,
      rewrittenWeights: plan.form.rewritten.length,
      warning: plan.warning,
    });
    const { width, height } = manifest.input;
    const crop = width * height * 3;
    // Warm up with two images: a model whose batch dimension is fixed at 1 refuses them.
    await runner.run(new Uint8Array(crop * 2), 2).catch(() => (runner.oneAtATime = true));
    const scores = await runner.run(new Uint8Array(crop), 1);
    if (scores.length !== manifest.classes) {
      throw new Error(
        `The model outputs ${scores.length} classes but its labels file has ${manifest.classes}; fix the manifest's labels or output.`,
      );
    }
    return runner;
  }

  /**
   * One forward pass over `count` crops laid end to end in `pixels` (input size, RGB
   * interleaved). Returns `count` probability rows laid end to end.
   */
  async run(pixels: Uint8Array, count: number): Promise<Float32Array> {
    if (this.oneAtATime && count > 1) {
      const crop = pixels.length / count;
      const { classes } = this.manifest;
      const out = new Float32Array(count * classes);
      for (let i = 0; i < count; i++)
        out.set(await this.runBatch(pixels.subarray(i * crop, (i + 1) * crop), 1), i * classes);
      return out;
    }
    return this.runBatch(pixels, count);
  }

  private async runBatch(pixels: Uint8Array, count: number): Promise<Float32Array> {
    const { width, height, name, layout } = this.manifest.input;
    const plane = width * height;
    const data = new Float32Array(count * 3 * plane);
    for (let i = 0; i < count; i++)
      this.fill(pixels.subarray(i * 3 * plane, (i + 1) * 3 * plane), data, i * 3 * plane, plane);
    const dims = layout === 'NHWC' ? [count, height, width, 3] : [count, 3, height, width];
    const outputs = await this.session.run({ [name]: new this.ort.Tensor('float32', data, dims) });
    const raw = outputs[this.manifest.output.name].data as Float32Array;
    const kind = this.manifest.output.kind;
    if (kind === 'probabilities') return Float32Array.from(raw);
    if (kind === 'sigmoid') return Float32Array.from(raw, (x) => 1 / (1 + Math.exp(-x)));
    const classes = raw.length / count;
    const probabilities = new Float32Array(raw.length);
    for (let i = 0; i < count; i++)
      softmaxInto(raw.subarray(i * classes, (i + 1) * classes), probabilities, i * classes);
    return probabilities;
  }

  /** One crop's interleaved RGB bytes to normalised floats in the model's layout and channel order. */
  private fill(pixels: Uint8Array, out: Float32Array, at: number, plane: number): void {
    const nhwc = this.manifest.input.layout === 'NHWC';
    for (let c = 0; c < 3; c++) {
      const scale = this.scale[c];
      const offset = this.offset[c];
      const src = this.source[c];
      if (nhwc) {
        for (let p = 0; p < plane; p++) out[at + p * 3 + c] = pixels[p * 3 + src] * scale + offset;
      } else {
        const base = at + c * plane;
        for (let p = 0, s = src; p < plane; p++, s += 3) out[base + p] = pixels[s] * scale + offset;
      }
    }
  }
}

function softmaxInto(logits: Float32Array, out: Float32Array, at: number): void {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[at + i] = Math.exp(logits[i] - max);
  for (let i = 0; i < logits.length; i++) out[at + i] /= sum;
}
