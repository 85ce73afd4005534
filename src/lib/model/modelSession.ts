/**
 * The ONNX Runtime session for one model: created once per process, warmed up, and run on
 * batches of decoded crops. Filling the input tensor is where pixels are normalised
 * (ImageNet mean/std from the manifest), straight from sharp's bytes into the batch buffer.
 */
import os from 'node:os';
import type { InferenceSession as OrtSession } from 'onnxruntime-node';
import type { LoadedManifest } from './manifest';
import { ensureModelFile, type ModelFileOptions } from './modelFile';

export interface ModelSessionOptions extends ModelFileOptions {
  /** Threads for one inference (intra-op); default: every core this process may use. */
  threads?: number;
  /** Let idle inference threads spin (onnxruntime's default); off unless asked, see create(). */
  allowSpinning?: boolean;
}

export class ModelSession {
  readonly manifest: LoadedManifest;
  readonly modelPath: string;
  private readonly session: OrtSession;
  private readonly ort: typeof import('onnxruntime-node');
  private readonly scale: Float32Array;
  private readonly offset: Float32Array;

  private constructor(
    manifest: LoadedManifest,
    modelPath: string,
    session: OrtSession,
    ort: typeof import('onnxruntime-node'),
  ) {
    this.manifest = manifest;
    this.modelPath = modelPath;
    this.session = session;
    this.ort = ort;
    // (v / 255 - mean) / std == v * scale + offset, per channel.
    const { mean, std } = manifest.preprocessing;
    this.scale = Float32Array.from(std, (s) => 1 / (255 * s));
    this.offset = Float32Array.from(mean, (m, c) => -m / std[c]);
  }

  /** Verifies (or downloads) the weights, creates the session and runs one warm-up pass. */
  static async create(manifest: LoadedManifest, options: ModelSessionOptions = {}): Promise<ModelSession> {
    const modelPath = await ensureModelFile(manifest, options);
    // Required lazily: loading the native runtime costs ~100 ms that `classify --help` should not pay.
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: options.threads ?? os.availableParallelism(),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      // Spinning threads wait hot for the next op; with decodes competing for the same two
      // cores that steals their CPU (bench: pipeline 121 -> 156 images/s with spinning off).
      extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    });
    const model = new ModelSession(manifest, modelPath, session, ort);
    const side = manifest.input.width;
    await model.run([Buffer.alloc(side * side * 3)]);
    return model;
  }

  /** One forward pass over crops of input size; returns one probability vector per image. */
  async run(crops: Buffer[]): Promise<Float32Array[]> {
    const { width, height, name } = this.manifest.input;
    const plane = width * height;
    const data = new Float32Array(crops.length * 3 * plane);
    crops.forEach((pixels, i) => this.fill(pixels, data, i * 3 * plane, plane));
    const tensor = new this.ort.Tensor('float32', data, [crops.length, 3, height, width]);
    const outputs = await this.session.run({ [name]: tensor });
    const logits = outputs[this.manifest.output.name].data as Float32Array;
    const classes = logits.length / crops.length;
    return crops.map((_, i) => {
      const row = logits.subarray(i * classes, (i + 1) * classes);
      return this.manifest.output.kind === 'logits' ? softmax(row) : Float32Array.from(row);
    });
  }

  /** Interleaved RGB bytes to planar normalised floats (NCHW), written in place. */
  private fill(pixels: Buffer, out: Float32Array, at: number, plane: number): void {
    for (let c = 0; c < 3; c++) {
      const scale = this.scale[c];
      const offset = this.offset[c];
      const base = at + c * plane;
      for (let p = 0, src = c; p < plane; p++, src += 3) out[base + p] = pixels[src] * scale + offset;
    }
  }

  /** The sha256 the manifest pins, which ensureModelFile has verified. */
  get sha256(): string {
    return this.manifest.sha256;
  }
}

export function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}
