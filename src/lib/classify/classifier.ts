/**
 * Classifies image bytes into the contract's result object: validate, decode (bounded
 * concurrency), infer through the shared batcher, top-k. One Classifier per process serves
 * the CLI, the queue worker and the synchronous HTTP route alike, so they share one session.
 * `classify` never throws: every failure becomes a `failed` result with a stable code;
 * `internal_error` is the only code worth retrying.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { ContentModelKey } from '../content/contentIndex';
import { DECODE_REVISION, type CropGeometry } from '../decode/decodeImage';
import { DecoderProcess } from '../decode/decoderProcess';
import { limitsFromEnv, type DecodeLimits } from '../decode/limits';
import { FORMAT_MIME } from '../decode/sniff';
import { intFromEnv } from '../env';
import { toClassifierError } from '../errors';
import { loadManifest, preprocessOf, type LoadedManifest } from '../model/manifest';
import { ModelSession, type ModelSessionOptions } from '../model/modelSession';
import { newResult, roundMs, topK, type ClassificationResult, type ModelStamp } from '../results/result';
import { InferenceBatcher, type InferenceBatcherOptions } from './inferenceBatcher';

export interface ClassifierOptions extends ModelSessionOptions, InferenceBatcherOptions {
  /** Manifest id or path (default: CLASSIFIER_MODEL or mobilenetv2-12-int8). */
  model?: string;
  /** The manifest already loaded (Models passes its own, so the session answers for exactly it). */
  manifest?: LoadedManifest;
  limits?: DecodeLimits;
  /** The decoder process to share (Models passes one for all its models); default: the classifier's own, closed with it. */
  decoder?: DecoderProcess;
}

export interface ClassifyInput {
  /** source.name of the result. */
  name: string;
  id?: string;
  /** Declared content type; only used when the bytes are not a recognised image. */
  contentType?: string;
  /** How many predictions to keep (default 5). */
  top?: number;
  /** The bytes' sha256 (hex) when the caller has computed it already. */
  sha256?: string;
}

/** The sha256 (hex) of an image's bytes, as `source.sha256` and the content index hold it. */
export const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export const DEFAULT_TOP = 5;

export class Classifier {
  readonly limits: DecodeLimits;
  /**
   * What decides this classifier's answer for given bytes, as the content index's key: the
   * model file and how its int8 products are computed, its input and preprocessing, its labels,
   * the number of predictions kept, and the decoder (our revision, sharp's and libvips's versions). Any change keys a fresh entry,
   * so a prediction made under other settings is never served as `reused`.
   */
  readonly contentKey: ContentModelKey;
  private readonly crop: CropGeometry;
  private inFlight = 0;
  private closing = false;
  private readonly idle: (() => void)[] = [];
  private readonly batcher: InferenceBatcher;

  private constructor(
    readonly session: ModelSession,
    private readonly decoder: DecoderProcess,
    private readonly ownsDecoder: boolean,
    options: ClassifierOptions,
  ) {
    this.limits = options.limits ?? limitsFromEnv();
    const { manifest } = session;
    const decides = {
      model: session.sha256,
      // How the products were added up: a clipped answer (int8 weights on a CPU without VNNI,
      // run as published) is never served for an exact one, nor the other way round.
      computation: session.info.computation,
      input: manifest.input,
      output: manifest.output,
      preprocessing: manifest.preprocessing,
      labels: manifest.labelNames,
      top: DEFAULT_TOP,
      decoder: [DECODE_REVISION, sharp.versions.sharp, sharp.versions.vips],
    };
    this.contentKey = {
      id: manifest.id,
      answer: sha256Of(Buffer.from(JSON.stringify(decides))).slice(0, 32),
    };
    this.crop = preprocessOf(manifest);
    // Batch size 8 and no wait: measured best on 2 cores (npm run bench -- batching).
    this.batcher = new InferenceBatcher(session, {
      maxBatchSize: options.maxBatchSize ?? intFromEnv('CLASSIFIER_MAX_BATCH', 8),
      maxWaitMs: options.maxWaitMs ?? intFromEnv('CLASSIFIER_BATCH_WAIT_MS', 0, { min: 0 }),
    });
  }

  static async create(options: ClassifierOptions = {}): Promise<Classifier> {
    const manifest = options.manifest ?? loadManifest(options.model);
    const decoder = options.decoder ?? new DecoderProcess();
    // The decoder process starts while the model loads; whichever part started is ended if the other fails.
    const [session, started] = await Promise.allSettled([
      ModelSession.create(manifest, options),
      decoder.start(),
    ]);
    if (session.status === 'rejected' || started.status === 'rejected') {
      if (session.status === 'fulfilled') await session.value.dispose();
      if (!options.decoder) await decoder.close();
      throw session.status === 'rejected' ? session.reason : (started as PromiseRejectedResult).reason;
    }
    return new Classifier(session.value, decoder, !options.decoder, options);
  }

  get model(): ModelStamp {
    return {
      id: this.session.manifest.id,
      sha256: this.session.sha256,
      computation: this.session.info.computation,
    };
  }

  /** Waits for the classifications in flight, then ends the session (a model evicted, a tool done). */
  async close(): Promise<void> {
    this.closing = true;
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.session.dispose();
    if (this.ownsDecoder) await this.decoder.close();
  }

  async classify(bytes: Buffer, input: ClassifyInput): Promise<ClassificationResult> {
    this.inFlight++;
    try {
      return await this.classifyNow(bytes, input);
    } finally {
      if (--this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async classifyNow(bytes: Buffer, input: ClassifyInput): Promise<ClassificationResult> {
    const started = performance.now();
    const result = newResult({
      id: input.id,
      status: 'processing',
      source: { name: input.name, bytes: bytes.length, sha256: input.sha256 ?? sha256Of(bytes) },
      model: this.model,
    });
    const { timings } = result;
    try {
      // Evicted between the lookup and this call: an internal_error, which the queue retries.
      if (this.closing)
        throw new Error(`Model ${this.model.id} was unloaded to stay within the memory budget.`);
      const decoded = await this.decoder.decode(bytes, { limits: this.limits, ...this.crop });
      timings.decodeMs = roundMs(performance.now() - started);
      Object.assign(result.source, {
        contentType: FORMAT_MIME[decoded.format],
        width: decoded.width,
        height: decoded.height,
      });
      const outcome = await this.batcher.infer(decoded.pixels);
      timings.inferMs = roundMs(outcome.inferMs);
      result.predictions = topK(
        outcome.probabilities,
        this.session.manifest.labelNames,
        input.top ?? DEFAULT_TOP,
      );
      result.status = 'succeeded';
    } catch (err) {
      result.status = 'failed';
      result.error = toClassifierError(err).toJSON();
      if (input.contentType) result.source.contentType ??= input.contentType;
    }
    timings.totalMs = roundMs(performance.now() - started);
    result.completedAt = new Date().toISOString();
    return result;
  }
}
