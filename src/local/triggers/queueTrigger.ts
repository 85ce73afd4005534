/**
 * `app.storageQueue` functions: a queue listener whose messages invoke the function with the
 * input and trigger metadata the Storage Queues extension binds for a Node worker: the message
 * text as `string` (the library JSON-parses it, so JSON messages arrive as objects) or bytes for
 * `dataType: 'binary'`; metadata QueueTrigger, DequeueCount, Id, PopReceipt, InsertionTime,
 * ExpirationTime, NextVisibleTime and sys. The `connection` setting is ignored: every trigger
 * uses the host's storage connection.
 */
import { invokeFunction } from '../invoke';
import { typedJson, typedPayload, typedString } from '../typedData';
import { requireStorage, sysMetadata, type BoundFunction, type TriggerContext } from './context';
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
      const text = body.toString('utf8');
      const outcome = await invokeFunction(
        ctx.registry,
        fn,
        {
          inputData: [{ name: triggerName, data: typedPayload(body, binding.dataType ?? 'string') }],
          triggerMetadata: {
            QueueTrigger: typedString(text),
            DequeueCount: typedJson(m.dequeueCount),
            Id: typedString(m.messageId),
            PopReceipt: typedString(m.popReceipt),
            InsertionTime: typedJson(m.insertedOn),
            ExpirationTime: typedJson(m.expiresOn),
            NextVisibleTime: typedJson(m.nextVisibleOn),
            sys: typedJson(sysMetadata(fn.metadata.name)),
          },
        },
        ctx.logger,
      );
      return outcome.ok;
    },
  });
}
