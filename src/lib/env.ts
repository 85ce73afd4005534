/** Settings checked where they are read, with a clear error: numbers from the environment, and host.json's .NET TimeSpans. */

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

/** A .NET TimeSpan as host.json writes them ("00:00:02", "1.02:00:00", "00:00:00.500"), in milliseconds. */
export function timeSpanMs(value: string): number {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new Error(`Expected a TimeSpan like "00:00:02" in host.json but found "${value}".`);
  const [, d = '0', h, min, sec, frac = '0'] = m;
  const seconds = Number(d) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(sec);
  return seconds * 1000 + Math.round(Number(`0.${frac}`) * 1000);
}
