/**
 * The local host's storage clients come from the app's one factory (src/lib/storage/clients.ts),
 * here always from a connection string, the way `func start` reads AzureWebJobsStorage.
 */
import { createStorageClients, type StorageClients } from '../lib/storage/clients';

export type HostStorageClients = Pick<StorageClients, 'blobs' | 'queues'>;

export function createHostStorageClients(connectionString: string): HostStorageClients {
  return createStorageClients({ AzureWebJobsStorage: connectionString });
}
