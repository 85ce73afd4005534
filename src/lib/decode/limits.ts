/**
 * Input limits, with the contract's defaults, overridable by environment for operators
 * (CLASSIFIER_MAX_BYTES, CLASSIFIER_MAX_PIXELS).
 */
import { intFromEnv } from '../env';

export interface DecodeLimits {
  /** Largest accepted file, in bytes (default 20 MiB). */
  maxBytes: number;
  /** Largest accepted width x height as declared by the header (default 50 megapixels). */
  maxPixels: number;
}

export const DEFAULT_LIMITS: DecodeLimits = { maxBytes: 20 * 1024 * 1024, maxPixels: 50_000_000 };

export function limitsFromEnv(): DecodeLimits {
  return {
    maxBytes: intFromEnv('CLASSIFIER_MAX_BYTES', DEFAULT_LIMITS.maxBytes),
    maxPixels: intFromEnv('CLASSIFIER_MAX_PIXELS', DEFAULT_LIMITS.maxPixels),
  };
}
