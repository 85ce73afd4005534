/**
 * Blobs driven by hand for intake and worker tests: versions written into a container no
 * subscription watches, the work and events that name them, and the result JSON they get.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import { limitsFromEnv } from '../../src/lib/decode/limits';
import { blobResultId } from '../../src/lib/results/ids';
import type { BlobWork } from '../../src/lib/worker/work';

export const HAND = 'handdriven';

/** What every attempt is given: the configured limits and a one-minute lease. */
export const workOptions = () => ({ limits: limitsFromEnv(), leaseMs: 60_000 });

/** Writes a version of `name` and returns its ETag and size. */
export async function version(
  blobs: BlobServiceClient,
  name: string,
  bytes: Buffer,
): Promise<{ etag: string; size: number }> {
  const container = blobs.getContainerClient(HAND);
  await container.createIfNotExists();
  const blob = container.getBlockBlobClient(name);
  await blob.uploadData(bytes);
  const props = await blob.getProperties();
  return { etag: props.etag!, size: props.contentLength! };
}

/** The work for a version, as intake hands it over. */
export function work(name: string, v: { etag: string; size: number }, sequencer = '01'): BlobWork {
  const blob = { container: HAND, name, etag: v.etag, sequencer };
  return { id: blobResultId(HAND, name), blob, size: v.size, since: new Date().toISOString() };
}

/** The result JSON blob of `name` (rejects with a 404 when there is none). */
export async function resultJson(blobs: BlobServiceClient, name: string): Promise<unknown> {
  const blob = blobs.getContainerClient('results').getBlobClient(`${HAND}/${name}.json`);
  return JSON.parse((await blob.downloadToBuffer()).toString()) as unknown;
}
