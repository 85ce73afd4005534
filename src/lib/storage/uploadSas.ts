/**
 * SAS URLs for direct uploads: create + write on ONE blob name, nothing else (no read, list,
 * delete), valid for minutes. One function decides how to sign: with an account key when the
 * app has one (Azurite, connection strings), else with a user delegation key from the app's
 * managed identity (Azure, where shared keys are off).
 */
import {
  BlobSASPermissions,
  SASProtocol,
  generateBlobSASQueryParameters,
  type BlobSASSignatureValues,
  type UserDelegationKey,
} from '@azure/storage-blob';
import { storageClients } from './clients';

export interface UploadSasOptions {
  /** Minutes until the URL stops working (at most 15, default 10; fractions allowed). */
  expiresInMinutes?: number;
}

export interface UploadSas {
  url: string;
  expiresOn: Date;
}

/** Clock skew allowance: a SAS that starts "now" can be refused by a storage clock a bit behind. */
const START_SKEW_MS = 2 * 60 * 1000;

export async function createUploadSas(
  container: string,
  blobName: string,
  options: UploadSasOptions = {},
): Promise<UploadSas> {
  const minutes = Math.min(15, options.expiresInMinutes ?? 10);
  const now = Date.now();
  const expiresOn = new Date(now + minutes * 60 * 1000);
  const clients = storageClients();
  const blobUrl = clients.blobs.getContainerClient(container).getBlobClient(blobName).url;
  const values: BlobSASSignatureValues = {
    containerName: container,
    blobName,
    permissions: BlobSASPermissions.parse('c'),
    startsOn: new Date(now - START_SKEW_MS),
    expiresOn,
    protocol: blobUrl.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
  };
  const query = clients.sharedKey
    ? generateBlobSASQueryParameters(values, clients.sharedKey)
    : generateBlobSASQueryParameters(values, await delegationKey(expiresOn), accountName(clients.blobs.url));
  return { url: `${blobUrl}?${query.toString()}`, expiresOn };
}

let cachedKey: { key: UserDelegationKey; validUntil: number } | undefined;

/** A user delegation key covering `until`, fetched at most about once an hour. */
async function delegationKey(until: Date): Promise<UserDelegationKey> {
  if (cachedKey && cachedKey.validUntil > until.getTime()) return cachedKey.key;
  const startsOn = new Date(Date.now() - START_SKEW_MS);
  const expiresOn = new Date(Date.now() + 2 * 60 * 60 * 1000);
  const key = await storageClients().blobs.getUserDelegationKey(startsOn, expiresOn);
  cachedKey = { key, validUntil: expiresOn.getTime() - 60 * 60 * 1000 };
  return key;
}

const accountName = (serviceUrl: string): string => new URL(serviceUrl).hostname.split('.')[0];
