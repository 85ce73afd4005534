/**
 * The host.json values the app's own logic depends on, read from the host.json that ships with
 * the app, so the code and the host can never disagree: the queue's maxDequeueCount (the last
 * attempt records the failure) and functionTimeout (how long a claim's lease must last).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';

export interface HostSettings {
  /** extensions.queues.maxDequeueCount (the host's default is 5). */
  maxDequeueCount: number;
  /** functionTimeout; Flex Consumption's default is 30 minutes. */
  functionTimeoutMs: number;
}

// The app root, where host.json sits beside package.json (from src/ in tests, dist/src/ built).
const HOST_JSON = path.join(PROJECT_ROOT, 'host.json');

export function readHostSettings(file: string = HOST_JSON): HostSettings {
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    functionTimeout?: string;
    extensions?: { queues?: { maxDequeueCount?: number } };
  };
  return {
    maxDequeueCount: json.extensions?.queues?.maxDequeueCount ?? 5,
    functionTimeoutMs: json.functionTimeout ? timeSpanMs(json.functionTimeout) : 30 * 60_000,
  };
}

/** A .NET TimeSpan "hh:mm:ss" (optionally "d." before, ".fff" after) in milliseconds. */
export function timeSpanMs(value: string): number {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new Error(`Expected a TimeSpan like "00:05:00" in host.json but found "${value}".`);
  const [, d = '0', h, min, s, frac = '0'] = m;
  return (
    (Number(d) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(s)) * 1000 +
    Math.round(Number(`0.${frac}`) * 1000)
  );
}

let cached: HostSettings | undefined;
/** This app's settings, read once. */
export const hostSettings = (): HostSettings => (cached ??= readHostSettings());
