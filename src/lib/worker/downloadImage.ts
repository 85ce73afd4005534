/**
 * Reads an image blob for classification, refusing to pull more than the byte limit into
 * memory: the size is checked from the blob's properties first.
 */
import { checkSize } from '../decode/validate';
import { limitsFromEnv } from '../decode/limits';
import { ClassifierError } from '../errors';
import type { BlobRef } from '../results/resultStore';
import { storageClients } from '../storage/clients';
import { isStatus } from '../storage/restErrors';

export async function downloadImage(
  blob: BlobRef,
  options: { abortSignal?: AbortSignal } = {},
): Promise<Buffer> {
  const client = storageClients().blobs.getContainerClient(blob.container).getBlobClient(blob.name);
  try {
    const { contentLength = 0 } = await client.getProperties({ abortSignal: options.abortSignal });
    checkSize(contentLength, limitsFromEnv());
    return await client.downloadToBuffer(0, contentLength, { abortSignal: options.abortSignal });
  } catch (err) {
    if (isStatus(err, 404)) {
      throw new ClassifierError(
        'blob_not_found',
        `The blob ${blob.container}/${blob.name} was deleted before it could be classified.`,
      );
    }
    throw err;
  }
}
