/**
 * The local host's storage clients come from the app's one factory (src/lib/storage/clients.ts),
 * here always from a connection string, the way `func start` reads AzureWebJobsStorage.
 */
import { createStorageClients, type StorageClients } from '../../lib/storage/clients';

export type HostStorageClients = Pick<StorageClients, 'blobs' | 'queues'>;

/** `as` names the caller in each request's User-Agent: the host's own work, or the Event Grid stand-in's. */
export function createHostStorageClients(
  connectionString: string,
  as: 'functions-host' | 'eventgrid-standin' = 'functions-host',
): HostStorageClients {
  return createStorageClients({ AzureWebJobsStorage: connectionString }, { userAgentPrefix: as });
}
