/**
 * The one parser for numbers that come from outside: query strings, JSON bodies, CLI flags and
 * settings. The message follows sharp's ("Expected an integer between 1 and 1000 for top but
 * received '0'"); each boundary turns it into its own error (a `bad_request`, a usage error, a
 * start-up error) with `fail`.
 */

export interface NumberOptions {
  /** Smallest accepted value: inclusive for integers (default 1), exclusive otherwise (default 0). */
  min?: number;
  /** Largest accepted value, inclusive (default: none). */
  max?: number;
  /** Whole numbers only (default true). */
  integer?: boolean;
  /** Accept the number's decimal text (query strings, flags, settings; default true), not only a number (JSON). */
  text?: boolean;
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * `value` (a number, or its decimal text: no hex, exponents or blanks) as a number in range,
 * or `fail` with the message.
 */
export function parseNumber(
  value: unknown,
  name: string,
  options: NumberOptions = {},
  fail: (message: string) => Error = (message) => new RangeError(message),
): number {
  const integer = options.integer ?? true;
  const min = options.min ?? (integer ? 1 : 0);
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const text = options.text ?? true;
  const n =
    typeof value === 'number'
      ? value
      : text && typeof value === 'string' && (integer ? INTEGER_TEXT : DECIMAL_TEXT).test(value.trim())
        ? Number(value)
        : NaN;
  const ok = integer
    ? Number.isSafeInteger(n) && n >= min && n <= max
    : Number.isFinite(n) && n > min && n <= max;
  if (ok) return n;
  throw fail(`Expected ${expected(integer, min, options.max)} for ${name} but received ${shown(value)}.`);
}

function expected(integer: boolean, min: number, max: number | undefined): string {
  if (!integer) {
    const above = min === 0 ? 'a positive number' : `a number above ${min}`;
    return max === undefined ? above : `${above} of at most ${max}`;
  }
  return max === undefined ? `an integer of at least ${min}` : `an integer between ${min} and ${max}`;
}

function shown(value: unknown): string {
  if (typeof value === 'string') return `'${value.slice(0, 40)}'`;
  if (typeof value === 'number') return String(value);
  return `${JSON.stringify(value)?.slice(0, 40) ?? String(value)} of type ${value === null ? 'null' : typeof value}`;
}
