/**
 * One ONNX Runtime session and the tensor work around it: interleaved RGB crops are
 * normalised (ImageNet mean/std from the manifest) straight into the batch tensor, and
 * logits become probabilities. Runs wherever the session lives: on the main thread, or
 * inside the inference thread (see inferenceThread.ts).
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { ModelManifest } from './manifest';

export interface OrtRunnerOptions {
  modelPath: string;
  threads: number;
  allowSpinning: boolean;
}

type ManifestParts = Pick<ModelManifest, 'input' | 'output' | 'preprocessing'>;

export class OrtRunner {
  private readonly scale: Float32Array;
  private readonly offset: Float32Array;

  private constructor(
    private readonly manifest: ManifestParts,
    private readonly session: InferenceSession,
    private readonly ort: typeof import('onnxruntime-node'),
  ) {
    // (v / 255 - mean) / std == v * scale + offset, per channel.
    const { mean, std } = manifest.preprocessing;
    this.scale = Float32Array.from(std, (s) => 1 / (255 * s));
    this.offset = Float32Array.from(mean, (m, c) => -m / std[c]);
  }

  /** Creates the session and runs one warm-up pass. */
  static async create(manifest: ManifestParts, options: OrtRunnerOptions): Promise<OrtRunner> {
    // Required lazily: loading the native runtime costs ~100 ms that `classify --help` should not pay.
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(options.modelPath, {
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      // Spinning threads wait hot for the next op; with decodes competing for the same two
      // cores that steals their CPU (bench: pipeline 121 -> 156 images/s with spinning off).
      extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    });
    const runner = new OrtRunner(manifest, session, ort);
    const side = manifest.input.width;
    await runner.run(new Uint8Array(side * side * 3), 1);
    return runner;
  }

  /**
   * One forward pass over `count` crops laid end to end in `pixels` (input size, RGB
   * interleaved). Returns `count` probability rows laid end to end.
   */
  async run(pixels: Uint8Array, count: number): Promise<Float32Array> {
    const { width, height, name } = this.manifest.input;
    const plane = width * height;
    const data = new Float32Array(count * 3 * plane);
    for (let i = 0; i < count; i++)
      this.fill(pixels.subarray(i * 3 * plane, (i + 1) * 3 * plane), data, i * 3 * plane, plane);
    const tensor = new this.ort.Tensor('float32', data, [count, 3, height, width]);
    const outputs = await this.session.run({ [name]: tensor });
    const logits = outputs[this.manifest.output.name].data as Float32Array;
    if (this.manifest.output.kind === 'probabilities') return Float32Array.from(logits);
    const classes = logits.length / count;
    const probabilities = new Float32Array(logits.length);
    for (let i = 0; i < count; i++)
      softmaxInto(logits.subarray(i * classes, (i + 1) * classes), probabilities, i * classes);
    return probabilities;
  }

  /** Interleaved RGB bytes to planar normalised floats (NCHW), written in place. */
  private fill(pixels: Uint8Array, out: Float32Array, at: number, plane: number): void {
    for (let c = 0; c < 3; c++) {
      const scale = this.scale[c];
      const offset = this.offset[c];
      const base = at + c * plane;
      for (let p = 0, src = c; p < plane; p++, src += 3) out[base + p] = pixels[src] * scale + offset;
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
