/**
 * Creates the containers, queues and table the app uses if they are missing. Infra declares
 * them in Azure; locally this makes a fresh Azurite usable with no setup step.
 */
import type { StorageClients } from './clients';
import { isStatus } from './restErrors';
import { storageNames } from './names';

export async function ensureStorage(storage: StorageClients): Promise<void> {
  const { blobs, queues } = storage;
  const ignoreExists = (err: unknown): void => {
    if (!isStatus(err, 409)) throw err;
  };
  await Promise.all([
    ...[storageNames.imagesContainer, storageNames.uploadsContainer, storageNames.resultsContainer].map((c) =>
      blobs.getContainerClient(c).createIfNotExists(),
    ),
    ...[
      storageNames.classifyQueue,
      storageNames.classifyPoisonQueue,
      storageNames.jobsQueue,
      storageNames.jobsPoisonQueue,
      storageNames.eventsQueue,
      storageNames.eventsPoisonQueue,
    ].map((q) => queues.getQueueClient(q).createIfNotExists()),
    ...[
      storageNames.resultsTable,
      storageNames.jobsTable,
      storageNames.contentTable,
      storageNames.searchTable,
    ].map((t) => storage.table(t).createTable().catch(ignoreExists)),
  ]);
}
