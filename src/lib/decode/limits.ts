/**
 * Input limits, with the contract's defaults, overridable by environment for operators
 * (CLASSIFIER_MAX_BYTES, CLASSIFIER_MAX_PIXELS).
 */

export interface DecodeLimits {
  /** Largest accepted file, in bytes (default 20 MiB). */
  maxBytes: number;
  /** Largest accepted width x height as declared by the header (default 50 megapixels). */
  maxPixels: number;
}

export const DEFAULT_LIMITS: DecodeLimits = { maxBytes: 20 * 1024 * 1024, maxPixels: 50_000_000 };

function positiveIntFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got "${raw}".`);
  }
  return value;
}

export function limitsFromEnv(): DecodeLimits {
  return {
    maxBytes: positiveIntFromEnv('CLASSIFIER_MAX_BYTES', DEFAULT_LIMITS.maxBytes),
    maxPixels: positiveIntFromEnv('CLASSIFIER_MAX_PIXELS', DEFAULT_LIMITS.maxPixels),
  };
}
