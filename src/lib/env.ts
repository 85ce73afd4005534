/** Numeric settings from the environment, checked where they are read, with a clear error. */

export interface NumberSettingOptions {
  /** Smallest accepted value (default 1 for whole numbers); fractions must be above it (default 0). */
  min?: number;
  max?: number;
  /** Whole numbers only (default true). */
  integer?: boolean;
}

export function numberFromEnv(name: string, fallback: number, options: NumberSettingOptions = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  const integer = options.integer ?? true;
  const min = options.min ?? (integer ? 1 : 0);
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const inRange = integer ? value >= min : value > min; // fractions: strictly above min (0: positive)
  if (!Number.isFinite(value) || (integer && !Number.isSafeInteger(value)) || !inRange || value > max) {
    const expected = integer
      ? `a whole number of at least ${min}${options.max === undefined ? '' : ` and at most ${max}`}`
      : `a positive number${min === 0 ? '' : ` above ${min}`}`;
    throw new Error(`${name} must be ${expected}, got "${raw}".`);
  }
  return value;
}

export const intFromEnv = (
  name: string,
  fallback: number,
  options: Omit<NumberSettingOptions, 'integer'> = {},
): number => numberFromEnv(name, fallback, options);
