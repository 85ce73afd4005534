/**
 * A queue trigger's metadata into the plain DeliveryInfo the worker needs. The Storage Queues
 * extension binds `Id` (string) and `DequeueCount` (a long, which the host sends as RPC `json`,
 * "1", through Newtonsoft: test/fixtures/triggers/queue-trigger.json), which the library
 * camel-cases to `id` and `dequeueCount` and JSON-parses to a number; maxDequeueCount comes from host.json.
 */
import type { InvocationContext } from '@azure/functions';
import type { DeliveryInfo } from '../../lib/worker/processMessage';
import { hostSettings } from './hostSettings';

export function toDeliveryInfo(context: InvocationContext): DeliveryInfo {
  const meta = context.triggerMetadata ?? {};
  const count = Number(meta.dequeueCount);
  if (typeof meta.id !== 'string' || !Number.isSafeInteger(count) || count < 1) {
    throw new Error(
      `Queue trigger metadata without id or dequeueCount: ${JSON.stringify(meta).slice(0, 300)}`,
    );
  }
  return { messageId: meta.id, dequeueCount: count, maxDequeueCount: hostSettings().maxDequeueCount };
}
