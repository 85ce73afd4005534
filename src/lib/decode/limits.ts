/**
 * Input limits, with the contract's defaults, overridable by environment for operators
 * (CLASSIFIER_MAX_BYTES, CLASSIFIER_MAX_PIXELS, CLASSIFIER_MAX_DECODE_SECONDS).
 */
import { intFromEnv } from '../env';

export interface DecodeLimits {
  /** Largest accepted file, in bytes (default 20 MiB). */
  maxBytes: number;
  /** Largest accepted width x height as declared by the header (default 50 megapixels). */
  maxPixels: number;
  /**
   * Longest one decode may take, in seconds (default 30): past it the decoder process holding it
   * is killed, and the image fails as a retryable internal_error instead of hanging.
   */
  maxDecodeSeconds?: number;
}

export const DEFAULT_LIMITS: DecodeLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 50_000_000,
  maxDecodeSeconds: 30,
};

export function limitsFromEnv(): DecodeLimits {
  return {
    maxBytes: intFromEnv('CLASSIFIER_MAX_BYTES', DEFAULT_LIMITS.maxBytes),
    maxPixels: intFromEnv('CLASSIFIER_MAX_PIXELS', DEFAULT_LIMITS.maxPixels),
    maxDecodeSeconds: intFromEnv('CLASSIFIER_MAX_DECODE_SECONDS', DEFAULT_LIMITS.maxDecodeSeconds!, {
      min: 1,
      max: 3600,
    }),
  };
}
