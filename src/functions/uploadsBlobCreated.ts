import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import { storageNames } from '../lib/storage/names';
import { handleBlobCreated } from './converters/blobEvents';

/** A blob PUT through an upload URL: classify it, from its BlobCreated event. */
export async function uploadsBlobCreated(event: EventGridEvent, context: InvocationContext): Promise<void> {
  await handleBlobCreated(storageNames.uploadsContainer, event, context);
}

// An Event Grid trigger, not a blob trigger: the event carries size, ETag and sequencer, so the
// host reads nothing and the function reads the blob once, only when its facts allow it.
// scripts/postdeploy.* subscribe it to BlobCreated under /containers/uploads/.
app.eventGrid('uploadsBlobCreated', { handler: uploadsBlobCreated });
