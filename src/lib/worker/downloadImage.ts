/**
 * Reads an image blob for classification in one request, refusing to pull more than the byte
 * limit into memory: the size comes from the response headers before the body is read.
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
  let response;
  try {
    response = await client.download(0, undefined, { abortSignal: options.abortSignal });
  } catch (err) {
    if (isStatus(err, 404)) {
      throw new ClassifierError(
        'blob_not_found',
        `The blob ${blob.container}/${blob.name} was deleted before it could be classified.`,
      );
    }
    throw err;
  }
  const body = response.readableStreamBody;
  try {
    checkSize(response.contentLength ?? 0, limitsFromEnv());
  } catch (err) {
    body?.destroy(); // stop reading: nothing of an oversize blob is fetched or kept
    throw err;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of body ?? []) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
