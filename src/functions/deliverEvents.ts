import { app, type InvocationContext } from '@azure/functions';
import { deliverEvents as deliver } from '../lib/events/deliverEvents';
import { parseEventsMessage } from '../lib/events/outbox';
import { storageNames } from '../lib/storage/names';
import { services } from './services';

/** One `events` message: job and result events to the webhook and the Event Grid topic (docs/events.md). */
export async function deliverEvents(message: unknown, context: InvocationContext): Promise<void> {
  const events = parseEventsMessage(message);
  const { delivered, retrying, poisoned } = await deliver(services(), events);
  context.log(
    `events: ${delivered} delivered` +
      Object.entries(retrying)
        .map(([sink, n]) => `, ${n} to ${sink} later`)
        .join('') +
      Object.entries(poisoned)
        .map(([sink, n]) => `, ${n} for ${sink} to events-poison`)
        .join(''),
  );
}

app.storageQueue('deliverEvents', {
  queueName: storageNames.eventsQueue,
  connection: 'AzureWebJobsStorage',
  handler: deliverEvents,
});
