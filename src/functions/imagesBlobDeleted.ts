import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { forgetBlob } from '../lib/intake/forgetBlob';
import { storageNames } from '../lib/storage/names';
import { toBlobDeleted } from './converters/blobDeletedEvent';
import { services } from './services';

/**
 * A blob deleted from the drop folder by any tool: its result goes too (row, JSON blob, search
 * entries), unless the name was written again since. A thrown error answers Event Grid with a
 * failure, so it redelivers the event; every step is safe to repeat.
 */
export async function imagesBlobDeleted(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const container = storageNames.imagesContainer;
  const deleted = toBlobDeleted(event, container);
  if (!deleted) {
    context.warn(
      `Ignored event ${event.id} (${event.eventType} ${event.subject}): not a BlobDeleted in ${container}.`,
    );
    return;
  }
  const started = performance.now();
  const { id, outcome } = await forgetBlob(services(), deleted);
  context.log(
    `blob ${container}/${deleted.name} deleted -> result ${id} ${outcome} in ${Math.round(performance.now() - started)} ms`,
  );
}

// scripts/postdeploy.* subscribe it to BlobDeleted under /containers/images/ (never uploads/:
// retention deletes upload blobs, and their results stay until their own expiry).
app.eventGrid('imagesBlobDeleted', { handler: imagesBlobDeleted });
