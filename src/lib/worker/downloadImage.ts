/**
 * Reads an image blob for classification in one request, refusing to pull more than the byte
 * limit into memory: the size comes from the response headers before the body is read. With
 * `ifMatch` the read is of that version only: a blob rewritten since its event answers 412,
 * which is `superseded` (the newer version has an event of its own).
 */
import { checkSize } from '../decode/validate';
import type { DecodeLimits } from '../decode/limits';
import { ClassifierError } from '../errors';
import { bareEtag, type BlobRef } from '../results/resultStore';
import type { StorageClients } from '../storage/clients';
import { isStatus } from '../storage/restErrors';

export interface DownloadImageOptions {
  limits: DecodeLimits;
  /** Read only this version (an ETag, quoted or not). */
  ifMatch?: string;
  abortSignal?: AbortSignal;
}

export interface DownloadedImage {
  bytes: Buffer;
  /** The version read, without quotes. */
  etag?: string;
  /** The blob's `model` metadata (x-ms-meta-model): the model its writer asked for. */
  model?: string;
}

export async function downloadImage(
  storage: StorageClients,
  blob: BlobRef,
  options: DownloadImageOptions,
): Promise<DownloadedImage | 'superseded'> {
  const client = storage.blobs.getContainerClient(blob.container).getBlobClient(blob.name);
  let response;
  try {
    response = await client.download(0, undefined, {
      abortSignal: options.abortSignal,
      conditions: options.ifMatch ? { ifMatch: `"${bareEtag(options.ifMatch)}"` } : undefined,
    });
  } catch (err) {
    if (isStatus(err, 412)) return 'superseded';
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
    checkSize(response.contentLength ?? 0, options.limits);
  } catch (err) {
    body?.destroy(); // stop reading: nothing of an oversize blob is fetched or kept
    throw err;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of body ?? []) chunks.push(chunk as Buffer);
  return {
    bytes: Buffer.concat(chunks),
    etag: response.etag && bareEtag(response.etag),
    model: response.metadata?.model,
  };
}
