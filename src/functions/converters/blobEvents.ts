/**
 * The one handler behind both BlobCreated functions: the event to BlobCreated, then intake.
 * A thrown error answers Event Grid with a failure, so it redelivers the event.
 */
import type { EventGridEvent, InvocationContext } from '@azure/functions';
import { limitsFromEnv } from '../../lib/decode/limits';
import { acceptBlob } from '../../lib/intake/acceptBlob';
import { toBlobCreated } from './blobCreatedEvent';
import { hostSettings } from './hostSettings';
import { services } from '../services';

export async function handleBlobCreated(
  container: string,
  event: EventGridEvent,
  context: InvocationContext,
): Promise<void> {
  const blob = toBlobCreated(event, container);
  if (!blob) {
    context.warn(
      `Ignored event ${event.id} (${event.eventType} ${event.subject}): not a BlobCreated in ${container}.`,
    );
    return;
  }
  const started = performance.now();
  const { id, outcome, error } = await acceptBlob(services(), blob, {
    limits: limitsFromEnv(),
    leaseMs: hostSettings().functionTimeoutMs,
  });
  context.log(
    `blob ${container}/${blob.name} (${blob.size} bytes) -> ${outcome}${id ? ` as ${id}` : ''}` +
      ` in ${Math.round(performance.now() - started)} ms${error ? `: ${error}` : ''}`,
  );
}
