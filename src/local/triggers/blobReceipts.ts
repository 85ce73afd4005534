/**
 * Blob receipts: the stored record that a blob version (name + ETag) was handed to a function, so
 * that a restarted host neither loses nor re-delivers blobs. Same layout as the WebJobs blob
 * extension's polling scanner (`BlobReceiptManager`):
 * `azure-webjobs-hosts/blobreceipts/{hostId}/{functionId}/{etag}/{container}/{blobName}`.
 */
import type { BlobServiceClient } from '@azure/storage-blob';

export const hostsContainer = 'azure-webjobs-hosts';

export interface BlobReceipts {
  has(container: string, blobName: string, etag: string): boolean;
  write(container: string, blobName: string, etag: string): Promise<void>;
}

const bareEtag = (etag: string): string => etag.replace(/"/g, '');

/** Loads every receipt of one function with one listing, then answers from memory. */
export async function loadBlobReceipts(
  blobs: BlobServiceClient,
  hostId: string,
  functionId: string,
): Promise<BlobReceipts> {
  const hosts = blobs.getContainerClient(hostsContainer);
  await hosts.createIfNotExists();
  const root = `blobreceipts/${hostId}/${functionId}/`;
  const seen = new Set<string>();
  for await (const item of hosts.listBlobsFlat({ prefix: root })) seen.add(item.name.slice(root.length));
  const key = (container: string, blobName: string, etag: string) =>
    `${bareEtag(etag)}/${container}/${blobName}`;
  return {
    has: (container, blobName, etag) => seen.has(key(container, blobName, etag)),
    async write(container, blobName, etag) {
      const k = key(container, blobName, etag);
      await hosts.getBlockBlobClient(root + k).uploadData(Buffer.alloc(0));
      seen.add(k);
    },
  };
}
