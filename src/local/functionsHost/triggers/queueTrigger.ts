/**
 * `app.storageQueue` functions: a queue listener whose messages invoke the function with the
 * input and trigger metadata the real host sends a Node worker, as captured in
 * test/fixtures/triggers/queue-trigger.json (from azure-functions-nodejs-library's tests):
 *  - the message text as RPC `string` (the library JSON-parses it), or bytes for `dataType: 'binary'`;
 *  - QueueTrigger, Id and PopReceipt as `string`; DequeueCount (a .NET long) and the three
 *    DateTimeOffsets as `json` through Newtonsoft (GrpcMessageConversionExtensions.ToRpcDefault:
 *    `1`, `"2022-09-01T05:06:39+00:00"`); no `sys` (the host drops SystemBindingData);
 *  - for a JSON object message, each top-level property that is not an array, added by
 *    Utility.ApplyBindingData over the keys above, case-insensitively: objects as `json`, the
 *    rest through Newtonsoft's (string) cast (numbers as text, booleans "True"/"False").
 * The `connection` setting is ignored: every trigger uses the host's storage connection.
 */
import type { RpcTypedData } from '../coreTypes';
import { invokeFunction } from '../invoke';
import { typedJson, typedPayload, typedString } from '../typedData';
import { requireStorage, type BoundFunction, type TriggerContext } from './context';
import type { DequeuedMessageItem } from '@azure/storage-queue';
import { runQueueListener } from './queueListener';

export function startQueueTrigger(ctx: TriggerContext, { fn, triggerName }: BoundFunction): Promise<void> {
  const storage = requireStorage(ctx, `Queue trigger "${fn.metadata.name}"`);
  const binding = fn.metadata.bindings[triggerName];
  const queueName = String(binding.queueName);
  return runQueueListener({
    queue: storage.queues.getQueueClient(queueName),
    poisonQueue: storage.queues.getQueueClient(`${queueName}-poison`),
    config: ctx.config.queues,
    logger: ctx.logger,
    inflight: ctx.inflight,
    signal: ctx.signal,
    leaseMs: ctx.leaseMs,
    process: async (m, body) => {
      const outcome = await invokeFunction(
        ctx.registry,
        fn,
        {
          inputData: [{ name: triggerName, data: typedPayload(body, binding.dataType ?? 'string') }],
          triggerMetadata: queueTriggerMetadata(m, body.toString('utf8')),
        },
        ctx.logger,
        { timeoutMs: ctx.config.functionTimeoutMs },
      );
      return outcome.ok;
    },
  });
}

/** A .NET DateTimeOffset as Newtonsoft writes it: offset always, fraction trimmed of zeros (7 digits at most). */
export function newtonsoftDate(date: Date | undefined, fallback: string): string {
  if (!date) return fallback;
  const iso = date.toISOString(); // 2022-09-01T05:06:39.120Z
  const [seconds, fraction] = iso.slice(0, -1).split('.');
  const trimmed = (fraction ?? '').replace(/0+$/, '');
  return `${seconds}${trimmed ? `.${trimmed}` : ''}+00:00`;
}

// DateTimeOffset.MaxValue, which the extension binds when the service sent no time.
const MAX_DATE = '9999-12-31T23:59:59.9999999+00:00';

export function queueTriggerMetadata(
  m: Pick<
    DequeuedMessageItem,
    'messageId' | 'popReceipt' | 'dequeueCount' | 'insertedOn' | 'expiresOn' | 'nextVisibleOn'
  >,
  text: string,
): Record<string, RpcTypedData> {
  const metadata: Record<string, RpcTypedData> = {
    QueueTrigger: typedString(text),
    DequeueCount: typedJson(m.dequeueCount),
    ExpirationTime: typedJson(newtonsoftDate(m.expiresOn, MAX_DATE)),
    Id: typedString(m.messageId),
    InsertionTime: typedJson(newtonsoftDate(m.insertedOn ?? new Date(), MAX_DATE)),
    NextVisibleTime: typedJson(newtonsoftDate(m.nextVisibleOn, MAX_DATE)),
    PopReceipt: typedString(m.popReceipt),
  };
  for (const [key, value] of Object.entries(jsonObject(text) ?? {})) {
    if (value === null || Array.isArray(value)) continue;
    for (const existing of Object.keys(metadata))
      if (existing.toLowerCase() === key.toLowerCase()) delete metadata[existing];
    metadata[key] =
      typeof value === 'object'
        ? typedJson(value)
        : typedString(newtonsoftString(value as string | number | boolean));
  }
  return metadata;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return undefined;
  try {
    return JSON.parse(t) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/** Newtonsoft's (string) of a JValue: JObject.Parse reads ISO dates as DateTime, which print in the invariant culture. */
function newtonsoftString(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (!ISO_DATE.test(value)) return value;
  const d = new Date(value);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
