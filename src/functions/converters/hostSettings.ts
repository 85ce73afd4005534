/**
 * The host.json values the app's own logic depends on, read from the host.json that ships with
 * the app, so the code and the host can never disagree: the queue's maxDequeueCount (the last
 * attempt records the failure) and functionTimeout (how long a claim's lease must last), with
 * the `AzureFunctionsJobHost__*` app settings that override them applied, as the host applies them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { timeSpanMs, withHostJsonOverrides } from '../../lib/env';
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
  const json = withHostJsonOverrides(JSON.parse(readFileSync(file, 'utf8'))) as {
    functionTimeout?: string;
    extensions?: { queues?: { maxDequeueCount?: number } };
  };
  return {
    maxDequeueCount: json.extensions?.queues?.maxDequeueCount ?? 5,
    functionTimeoutMs: json.functionTimeout ? timeSpanMs(json.functionTimeout) : 30 * 60_000,
  };
}

let cached: HostSettings | undefined;
/** This app's settings, read once. */
export const hostSettings = (): HostSettings => (cached ??= readHostSettings());
