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
import type { StorageClients } from './clients';

export interface UploadSasOptions {
  /** Minutes until the URL stops working (at most 15, default 10; fractions allowed). */
  expiresInMinutes?: number;
}

export interface UploadSas {
  url: string;
  expiresOn: Date;
}

/**
 * The service version the SAS is signed for (`sv`), pinned rather than the SDK's newest, so a
 * dependency update never changes what the URLs say: Azure accepts every version since 2015,
 * and Azurite 3.35 verifies user delegation SAS up to this one (newer versions add fields to
 * the string to sign that it does not know), so the Azure path is tested locally too.
 */
export const SAS_VERSION = '2025-05-05';

/** Clock skew allowance: a SAS that starts "now" can be refused by a storage clock a bit behind. */
const START_SKEW_MS = 2 * 60 * 1000;

/** Signs upload URLs for one account; keeps its user delegation key (Azure) for about an hour. */
export class UploadSigner {
  private cachedKey?: { key: UserDelegationKey; validUntil: number };

  constructor(private readonly storage: StorageClients) {}

  async sign(container: string, blobName: string, options: UploadSasOptions = {}): Promise<UploadSas> {
    const minutes = Math.min(15, options.expiresInMinutes ?? 10);
    const now = Date.now();
    const expiresOn = new Date(now + minutes * 60 * 1000);
    const { blobs, sharedKey } = this.storage;
    const blobUrl = blobs.getContainerClient(container).getBlobClient(blobName).url;
    const values: BlobSASSignatureValues = {
      containerName: container,
      blobName,
      permissions: BlobSASPermissions.parse('c'),
      startsOn: new Date(now - START_SKEW_MS),
      expiresOn,
      protocol: blobUrl.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
      version: SAS_VERSION,
    };
    const query = sharedKey
      ? generateBlobSASQueryParameters(values, sharedKey)
      : generateBlobSASQueryParameters(values, await this.delegationKey(expiresOn), blobs.accountName);
    return { url: `${blobUrl}?${query.toString()}`, expiresOn };
  }

  /** A user delegation key covering `until`, fetched at most about once an hour. */
  private async delegationKey(until: Date): Promise<UserDelegationKey> {
    if (this.cachedKey && this.cachedKey.validUntil > until.getTime()) return this.cachedKey.key;
    const startsOn = new Date(Date.now() - START_SKEW_MS);
    const expiresOn = new Date(Date.now() + 2 * 60 * 60 * 1000);
    const key = await this.storage.blobs.getUserDelegationKey(startsOn, expiresOn);
    this.cachedKey = { key, validUntil: expiresOn.getTime() - 60 * 60 * 1000 };
    return key;
  }
}
