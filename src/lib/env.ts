/** Settings checked where they are read, with a clear error: numbers from the environment, and host.json's .NET TimeSpans. */
import { parseNumber, type NumberOptions } from './numbers';

export type NumberSettingOptions = Omit<NumberOptions, 'text'>;

/** A number setting, or `fallback` when unset; a bad value stops the start with the setting's name. */
export function numberFromEnv(name: string, fallback: number, options: NumberSettingOptions = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  return parseNumber(raw, name, options, (message) => new Error(`${message} Fix or unset ${name}.`));
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

/**
 * host.json with the app settings that override it applied, as the Functions host does
 * ("Override host.json values", learn.microsoft.com/azure/azure-functions/functions-host-json):
 * `AzureFunctionsJobHost__functionTimeout=00:01:00`,
 * `AzureFunctionsJobHost__extensions__queues__maxDequeueCount=3`. Keys match case-insensitively,
 * as .NET configuration's do; numbers and booleans are read as such.
 */
export function withHostJsonOverrides(hostJson: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  const root = structuredClone(hostJson && typeof hostJson === 'object' ? hostJson : {}) as Record<
    string,
    unknown
  >;
  for (const [name, raw] of Object.entries(env)) {
    const m = /^AzureFunctionsJobHost__(.+)$/i.exec(name);
    if (!m || raw === undefined) continue;
    const keys = m[1].split('__');
    let node = root;
    for (const [i, key] of keys.entries()) {
      const existing = Object.keys(node).find((k) => k.toLowerCase() === key.toLowerCase()) ?? key;
      if (i === keys.length - 1) {
        node[existing] = /^-?\d+(\.\d+)?$/.test(raw)
          ? Number(raw)
          : /^(true|false)$/i.test(raw)
            ? /^true$/i.test(raw)
            : raw;
      } else {
        if (!node[existing] || typeof node[existing] !== 'object') node[existing] = {};
        node = node[existing] as Record<string, unknown>;
      }
    }
  }
  return root;
}
