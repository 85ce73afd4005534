/**
 * One blob version to a terminal result, with exactly one download: the bytes read are checked
 * (size, magic bytes), then looked up in the content index (when reuse is allowed) or
 * classified. Bad bytes are a `failed` result; storage and runtime faults are thrown
 * (retryable); a blob rewritten since its event is `superseded`.
 */
import { sha256Of } from '../classify/classifier';
import { reusedResult } from '../content/reuse';
import type { ContentModelKey } from '../content/contentIndex';
import { checkBytes } from '../decode/validate';
import type { DecodeLimits } from '../decode/limits';
import { toClassifierError } from '../errors';
import { asFailed, withTimeBefore, type ClassificationResult } from '../results/result';
import type { BlobRef } from '../results/resultStore';
import type { Services } from '../services';
import { ModelUnavailableError } from '../classify/models';
import { parseModelId } from '../model/manifest';
import { downloadImage, type DownloadedImage } from './downloadImage';

export interface ClassifyBlobOptions {
  limits: DecodeLimits;
  /** Read exactly the version of the event (drop folder, uploads); jobs read what the blob holds now. */
  ifMatch?: string;
  /** Look the bytes up in the content index first (not for anonymous uploads: reuse must not cross uploaders). */
  reuse: boolean;
  /** Milliseconds the work waited before this attempt, for `timings.queueMs`. */
  queueMs: number;
  /** The model asked for (an upload's, a job's); else the blob's `model` metadata decides, else the default. */
  model?: string;
}

export interface ClassifiedBlob {
  result: ClassificationResult;
  /** The version that was read. */
  etag?: string;
  /** The content-index key of the classifier that answered, when it did (for rememberContent). */
  contentKey?: ContentModelKey;
}

export async function classifyBlob(
  services: Pick<Services, 'content' | 'models' | 'storage'>,
  base: ClassificationResult,
  blob: BlobRef,
  options: ClassifyBlobOptions,
): Promise<ClassifiedBlob | 'superseded'> {
  const started = performance.now();
  let image: DownloadedImage | undefined;
  let model: string;
  try {
    const read = await downloadImage(services.storage, blob, {
      limits: options.limits,
      ifMatch: options.ifMatch,
    });
    if (read === 'superseded') return 'superseded';
    image = read;
    checkBytes(image.bytes.subarray(0, 64), image.bytes.length, options.limits);
    // An unknown model is the writer's mistake (bad_request): the image fails, no retry helps.
    const asked = options.model ?? parseModelId(image.model, 'The blob\'s "model" metadata');
    model = services.models.manifest(asked).id;
  } catch (err) {
    const error = toClassifierError(err);
    if (error.retryable) throw error;
    const source = image ? { ...base.source, bytes: image.bytes.length } : base.source;
    const failed = asFailed({ ...base, source }, error);
    const downloadMs = performance.now() - started;
    return { result: withTimeBefore(failed, { queueMs: options.queueMs, downloadMs }), etag: image?.etag };
  }
  const before = { queueMs: options.queueMs, downloadMs: performance.now() - started };
  const classifier = await services.models.classifier(model).catch((err: unknown) => {
    throw new ModelUnavailableError(model, err);
  });
  // Hashed once: the content-index lookup and the result's source.sha256 share it.
  const sha256 = sha256Of(image.bytes);
  const reused = options.reuse
    ? await reusedResult(
        services.content,
        base,
        { bytes: image.bytes.length, sha256 },
        { key: classifier.contentKey, model: classifier.model },
      )
    : undefined;
  if (reused) return { result: withTimeBefore(reused, before), etag: image.etag };
  const fresh = await classifier.classify(image.bytes, { id: base.id, name: base.source.name, sha256 });
  const result: ClassificationResult = {
    ...fresh,
    source: { ...base.source, ...fresh.source, name: base.source.name },
    createdAt: base.createdAt,
    jobId: base.jobId,
  };
  return { result: withTimeBefore(result, before), etag: image.etag, contentKey: classifier.contentKey };
}
