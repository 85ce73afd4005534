import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { storageNames } from '../lib/storage/names';
import { handleBlobCreated } from './converters/blobEvents';

/** A blob written to the drop folder by any tool: classify it, from its BlobCreated event. */
export async function imagesBlobCreated(event: EventGridEvent, context: InvocationContext): Promise<void> {
  await handleBlobCreated(storageNames.imagesContainer, event, context);
}

// An Event Grid trigger, not a blob trigger: the event carries size, ETag and sequencer, so the
// host reads nothing and the function reads the blob once, only when its facts allow it.
// scripts/postdeploy.* subscribe it to BlobCreated under /containers/images/.
app.eventGrid('imagesBlobCreated', { handler: imagesBlobCreated });
