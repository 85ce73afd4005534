import { app, type InvocationContext } from '@azure/functions';
import { parseClassifyMessage } from '../lib/queue/classifyMessage';
import { storageNames } from '../lib/storage/names';
import { modelGate } from '../lib/worker/modelGate';
import { processMessage } from '../lib/worker/processMessage';

/** host.json's extensions.queues.maxDequeueCount; the last attempt records the failure before poison. */
const MAX_DEQUEUE_COUNT = 5;

/** One `classify` message: download, classify, write the result row and JSON blob. */
export async function classifyQueued(message: unknown, context: InvocationContext): Promise<void> {
  const parsed = parseClassifyMessage(message);
  // Model gate: while the model cannot load, hold the message (a delayed copy) instead of spending its attempts.
  if ((await modelGate(parsed, { log: (line) => context.warn(line) })) === 'held') return;
  const meta = context.triggerMetadata ?? {};
  const { outcome, result } = await processMessage(parsed, {
    messageId: typeof meta.id === 'string' ? meta.id : context.invocationId,
    dequeueCount: Number(meta.dequeueCount ?? 1),
    maxDequeueCount: MAX_DEQUEUE_COUNT,
  });
  const t = result?.timings;
  const timings = t
    ? ` in ${t.totalMs} ms (queue ${t.queueMs}, download ${t.downloadMs}, decode ${t.decodeMs}, infer ${t.inferMs})`
    : '';
  context.log(
    `result ${parsed.id} (${parsed.container}/${parsed.blob}) -> ${result?.error?.code ?? outcome}${timings}`,
  );
}

app.storageQueue('classifyQueued', {
  queueName: storageNames.classifyQueue,
  connection: 'AzureWebJobsStorage',
  handler: classifyQueued,
});
