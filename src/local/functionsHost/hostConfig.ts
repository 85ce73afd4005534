/**
 * Reads the settings the local host honours from host.json, with the Functions host's defaults.
 *
 * Queue defaults are those of the Storage Queues extension 5.x (`QueuesOptions`, documented in
 * "host.json settings" for queues): batchSize 16, newBatchThreshold batchSize/2 (per instance),
 * visibilityTimeout 0, maxDequeueCount 5, maxPollingInterval 1 min, messageEncoding base64.
 * HTTP: `extensions.http.routePrefix` defaults to "api".
 */
import { readFile } from 'fs/promises';
import * as path from 'path';
import { timeSpanMs, withHostJsonOverrides } from '../../lib/env';

export interface QueuesConfig {
  batchSize: number;
  newBatchThreshold: number;
  /** Delay before a failed message becomes visible again. */
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  maxPollingIntervalMs: number;
  messageEncoding: 'base64' | 'none';
}

export interface HostConfig {
  routePrefix: string;
  queues: QueuesConfig;
  /** host.json `functions`: when present, only these functions are enabled. */
  functions?: string[];
  /** host.json `functionTimeout`; Flex Consumption's default is 30 minutes. */
  functionTimeoutMs: number;
}

/** A .NET TimeSpan (see lib/env.ts) or a number of milliseconds; `fallbackMs` when absent. */
export function parseTimeSpan(value: unknown, fallbackMs: number): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return fallbackMs;
  return timeSpanMs(value);
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);

export function toHostConfig(hostJson: unknown): HostConfig {
  const extensions = obj(obj(hostJson).extensions);
  const q = obj(extensions.queues);
  const batchSize = Math.min(num(q.batchSize, 16), 32);
  const routePrefix = obj(extensions.http).routePrefix;
  const functions = obj(hostJson).functions;
  return {
    routePrefix: typeof routePrefix === 'string' ? routePrefix.replace(/^\/+|\/+$/g, '') : 'api',
    queues: {
      batchSize,
      newBatchThreshold: num(q.newBatchThreshold, Math.floor(batchSize / 2)),
      visibilityTimeoutMs: parseTimeSpan(q.visibilityTimeout, 0),
      maxDequeueCount: num(q.maxDequeueCount, 5),
      maxPollingIntervalMs: parseTimeSpan(q.maxPollingInterval, 60_000),
      messageEncoding: q.messageEncoding === 'none' ? 'none' : 'base64',
    },
    functions: Array.isArray(functions) ? functions.map(String) : undefined,
    functionTimeoutMs: parseTimeSpan(obj(hostJson).functionTimeout, 30 * 60_000),
  };
}

/** host.json of the app root with its AzureFunctionsJobHost__* overrides; a missing file means all defaults (the real host requires one). */
export async function readHostConfig(appRoot: string): Promise<HostConfig> {
  let text: string;
  try {
    text = await readFile(path.join(appRoot, 'host.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return toHostConfig(withHostJsonOverrides({}));
    throw err;
  }
  return toHostConfig(withHostJsonOverrides(JSON.parse(text)));
}
