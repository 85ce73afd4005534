/** Numeric settings from the environment, checked where they are read, with a clear error. */

export function intFromEnv(name: string, fallback: number, options: { min?: number } = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  const min = options.min ?? 1;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name} must be a whole number of at least ${min}, got "${raw}".`);
  }
  return value;
}
