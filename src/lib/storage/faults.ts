/**
 * Test-only fault injection for the app's storage calls. `STORAGE_FAULTS` (read by
 * createStorageClients from its `env`) lists faults separated by commas, each
 * `<action>:<fraction>:<service>[:<METHOD>]`:
 *
 *   fail:0.1:table            10% of table calls throw a 503 RestError (like a throttled account)
 *   stall=3000:0.2:blob:GET   20% of blob GETs wait 3 s before going out (a slow network)
 *
 * Faults sit before the SDK's retry policy ("perCall"), so a failure is seen by the app as the
 * SDK's final answer, which is what a real outage looks like once retries are spent. Unset (the
 * default, and always in Azure) nothing is added to any pipeline.
 */
import type { TableServiceClientOptions } from '@azure/data-tables';
import { RestError, type RequestPolicyFactory, type WebResource } from '@azure/storage-blob';

export type StorageService = 'blob' | 'queue' | 'table';

export interface StorageFault {
  action: 'fail' | 'stall';
  /** How long a stall lasts. */
  stallMs: number;
  /** Share of matching requests hit, 0-1. */
  fraction: number;
  service: StorageService | '*';
  /** HTTP method to match (upper case); any when absent. */
  method?: string;
}

const SPEC = /^(fail|stall=(\d+)):(0(?:\.\d+)?|1(?:\.0+)?):(blob|queue|table|\*)(?::([A-Za-z]+))?$/;

/** Parses STORAGE_FAULTS; throws on a malformed entry so that a typo never silently tests nothing. */
export function parseStorageFaults(spec: string | undefined): StorageFault[] {
  if (!spec?.trim()) return [];
  return spec.split(',').map((entry) => {
    const m = SPEC.exec(entry.trim());
    if (!m) {
      throw new Error(
        `STORAGE_FAULTS entry "${entry}" is not <fail|stall=MS>:<fraction 0-1>:<blob|queue|table|*>[:METHOD].`,
      );
    }
    return {
      action: m[1] === 'fail' ? 'fail' : 'stall',
      stallMs: Number(m[2] ?? 0),
      fraction: Number(m[3]),
      service: m[4] as StorageFault['service'],
      method: m[5]?.toUpperCase(),
    };
  });
}

/** The fault to apply to one request, if the dice say so. */
function pick(faults: StorageFault[], service: StorageService, method: string): StorageFault | undefined {
  return faults.find(
    (f) =>
      (f.service === '*' || f.service === service) &&
      (!f.method || f.method === method.toUpperCase()) &&
      Math.random() < f.fraction,
  );
}

/** The part of an abort signal the SDKs pass along (AbortSignalLike). */
interface SignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
}

async function apply(fault: StorageFault | undefined, url: string, abortSignal?: SignalLike): Promise<void> {
  if (!fault) return;
  if (fault.action === 'stall') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, fault.stallMs);
      abortSignal?.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('aborted'))), {
        once: true,
      });
    });
    return;
  }
  throw new RestError(`Injected storage fault (STORAGE_FAULTS) on ${new URL(url).pathname}`, {
    statusCode: 503,
    code: 'InjectedFault',
  });
}

type TablePolicy = NonNullable<TableServiceClientOptions['additionalPolicies']>[number]['policy'];

/** A core-rest-pipeline policy for the Tables client (its options take `additionalPolicies`). */
export function tableFaultPolicy(faults: StorageFault[]): TablePolicy {
  return {
    name: 'storageFaults',
    async sendRequest(request, next) {
      await apply(pick(faults, 'table', request.method), request.url, request.abortSignal);
      return next(request);
    },
  };
}

/**
 * The same as a request policy factory for the Blob and Queue clients, whose pipelines take
 * extra policies this way (storage-blob's Pipeline runs "novel" factories before its retry).
 */
export function storageFaultFactory(faults: StorageFault[], service: StorageService): RequestPolicyFactory {
  return {
    create: (next) => ({
      async sendRequest(request: WebResource) {
        await apply(pick(faults, service, request.method), request.url, request.abortSignal);
        return next.sendRequest(request);
      },
    }),
  };
}
