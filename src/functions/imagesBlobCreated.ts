import { app, type InvocationContext } from '@azure/functions';
import { acceptBlobEvent } from '../lib/intake/blobEvent';
import { storageNames } from '../lib/storage/names';

/** A blob written to the drop folder by any tool: check it and queue it for classification. */
export async function imagesBlobCreated(blob: unknown, context: InvocationContext): Promise<void> {
  await acceptBlobEvent(storageNames.imagesContainer, blob, context);
}

app.storageBlob('imagesBlobCreated', {
  path: `${storageNames.imagesContainer}/{name}`,
  connection: 'AzureWebJobsStorage',
  source: 'EventGrid', // Flex Consumption delivers blob triggers only through Event Grid
  handler: imagesBlobCreated,
});
