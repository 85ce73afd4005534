/**
 * Blob service CORS for direct browser uploads: only PUT (and its preflight) from the page's
 * origins, with the headers a SAS upload sends. In Azure, infra/ sets the same rule.
 */
import type { StorageClients } from './clients';

export async function allowUploadsFrom(storage: StorageClients, origins: string[]): Promise<void> {
  await storage.blobs.setProperties({
    cors: [
      {
        allowedOrigins: origins.join(','),
        allowedMethods: 'PUT,OPTIONS',
        allowedHeaders: 'content-type,x-ms-blob-type,x-ms-version,x-ms-client-request-id,x-ms-date',
        exposedHeaders: 'etag,x-ms-request-id',
        maxAgeInSeconds: 600,
      },
    ],
  });
}

/** Extra page origins from UPLOAD_ALLOWED_ORIGINS (comma-separated). */
export function configuredOrigins(): string[] {
  return (process.env.UPLOAD_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
}
