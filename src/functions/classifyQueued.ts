import { app, type InvocationContext } from '@azure/functions';
import { limitsFromEnv } from '../lib/decode/limits';
import { parseClassifyMessage } from '../lib/queue/classifyMessage';
import { storageNames } from '../lib/storage/names';
import { processMessage, type ImageOutcome } from '../lib/worker/processMessage';
import { hostSettings } from './converters/hostSettings';
import { toDeliveryInfo } from './converters/queueDelivery';
import { services } from './services';

/** One `classify` message: images of a bulk job, or work the intake handed over. */
export async function classifyQueued(message: unknown, context: InvocationContext): Promise<void> {
  const parsed = parseClassifyMessage(message);
  const delivery = toDeliveryInfo(context);
  // Model gate: while the model cannot load, hold the message (a delayed copy) instead of spending its attempts.
  const app = services();
  if (!parsed.check && (await app.modelGate.admit(parsed, { log: (line) => context.warn(line) })) === 'held')
    return;
  const { functionTimeoutMs } = hostSettings();
  const images = await processMessage(app, parsed, delivery, {
    limits: limitsFromEnv(),
    leaseMs: functionTimeoutMs,
    // The last attempt is over by then, finished or timed out by the host.
    watchdogDelaySeconds: Math.ceil(functionTimeoutMs / 1000) + 60,
  });
  for (const { resultId, blob, done } of images) {
    context.log(`result ${resultId} (${parsed.container}/${blob}) -> ${describe(done)}`);
  }
}

function describe(done: ImageOutcome['done']): string {
  if (!('result' in done)) return done.outcome;
  const t = done.result.timings;
  const code = done.result.error?.code ?? done.outcome;
  return `${code} in ${t.totalMs} ms (queue ${t.queueMs}, download ${t.downloadMs}, decode ${t.decodeMs}, infer ${t.inferMs})`;
}

app.storageQueue('classifyQueued', {
  queueName: storageNames.classifyQueue,
  connection: 'AzureWebJobsStorage',
  handler: classifyQueued,
});
