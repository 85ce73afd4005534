/**
 * Idempotency by content for the worker: after download, before decode, a result for bytes
 * this model already classified is built from the stored prediction and says `reused: true`.
 */
import { zeroTimings, type ClassificationResult, type ModelStamp } from '../results/result';
import type { ContentIndex, ContentModelKey } from './contentIndex';

export interface ReuseOptions {
  /** The index key of the classifier that would answer. */
  key: ContentModelKey;
  /** Its model, for the result's `model`. */
  model: ModelStamp;
  abortSignal?: AbortSignal;
}

/** The bytes read: their length and sha256. */
export interface ContentKey {
  bytes: number;
  sha256: string;
}

/** The reused result for these bytes (its own timings zero), or undefined when they must be classified. */
export async function reusedResult(
  content: ContentIndex,
  base: ClassificationResult,
  { bytes, sha256 }: ContentKey,
  options: ReuseOptions,
): Promise<ClassificationResult | undefined> {
  const known = await content.find(sha256, options.key, { abortSignal: options.abortSignal });
  if (!known) return undefined;
  const { error: _e, ...rest } = base;
  return {
    ...rest,
    status: 'succeeded',
    source: {
      ...base.source,
      bytes,
      sha256,
      contentType: known.contentType ?? base.source.contentType,
      width: known.width,
      height: known.height,
    },
    predictions: known.predictions,
    model: options.model,
    timings: zeroTimings(),
    completedAt: new Date().toISOString(),
    reused: true,
  };
}
