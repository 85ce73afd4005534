/** The storage-client factory reads every connection string the Functions tooling writes. */
import { BlobSASPermissions, generateBlobSASQueryParameters } from '@azure/storage-blob';
import { azuriteConnectionString, createStorageClients } from '../../../src/lib/storage/clients';

describe('createStorageClients', () => {
  it.each(['UseDevelopmentStorage=true', 'UseDevelopmentStorage=true;', 'usedevelopmentstorage=TRUE'])(
    'reads %s as Azurite on its usual ports, with the key that signs upload SAS',
    (connectionString) => {
      const clients = createStorageClients({ AzureWebJobsStorage: connectionString });
      expect(clients.blobs.url).toBe('http://127.0.0.1:10000/devstoreaccount1');
      expect(clients.queues.url).toBe('http://127.0.0.1:10001/devstoreaccount1');
      expect(clients.table('results').url).toBe('http://127.0.0.1:10002/devstoreaccount1');
      expect(clients.sharedKey?.accountName).toBe('devstoreaccount1');
      const sas = generateBlobSASQueryParameters(
        {
          containerName: 'uploads',
          blobName: 'a.png',
          permissions: BlobSASPermissions.parse('c'),
          expiresOn: new Date(Date.now() + 60_000),
        },
        clients.sharedKey!,
      );
      expect(sas.signature).toMatch(/=$/);
    },
  );

  it('reads an explicit Azurite connection string the same way', () => {
    const ports = { blobPort: 1, queuePort: 2, tablePort: 3 };
    const clients = createStorageClients({ AzureWebJobsStorage: azuriteConnectionString(ports) });
    expect(clients.blobs.url).toBe('http://127.0.0.1:1/devstoreaccount1');
    expect(clients.sharedKey?.accountName).toBe('devstoreaccount1');
  });
});
