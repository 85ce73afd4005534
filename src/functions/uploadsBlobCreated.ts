import { app, type InvocationContext } from '@azure/functions';
import { acceptBlobEvent } from '../lib/intake/blobEvent';
import { storageNames } from '../lib/storage/names';

/** A blob PUT through an upload URL: check it and queue it for classification. */
export async function uploadsBlobCreated(blob: unknown, context: InvocationContext): Promise<void> {
  await acceptBlobEvent(storageNames.uploadsContainer, blob, context);
}

app.storageBlob('uploadsBlobCreated', {
  path: `${storageNames.uploadsContainer}/{name}`,
  connection: 'AzureWebJobsStorage',
  source: 'EventGrid', // Flex Consumption delivers blob triggers only through Event Grid
  handler: uploadsBlobCreated,
});
