/**
 * The one storage-client factory. Locally (Azurite, or any account by connection string)
 * `AzureWebJobsStorage` holds a connection string with an account key. In Azure the app has
 * no key: the identity-based settings the Functions host itself uses
 * (`AzureWebJobsStorage__blobServiceUri` / `__queueServiceUri` / `__tableServiceUri`, or
 * `__accountName`, with `__credential: managedidentity` and `__clientId`) give the endpoints,
 * and a token credential signs every call.
 */
import { ManagedIdentityCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { TableClient } from '@azure/data-tables';
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  newPipeline as newBlobPipeline,
} from '@azure/storage-blob';
import {
  QueueServiceClient,
  StorageSharedKeyCredential as QueueSharedKeyCredential,
  newPipeline as newQueuePipeline,
} from '@azure/storage-queue';
import { parseStorageFaults, storageFaultFactory, tableFaultPolicy, type StorageFault } from './faults';

export interface StorageClients {
  blobs: BlobServiceClient;
  queues: QueueServiceClient;
  table(name: string): TableClient;
  /** Present with a connection string: signs account SAS. Absent in Azure, where SAS is user delegation. */
  sharedKey?: StorageSharedKeyCredential;
  /** Where this came from, for logs and health (never the key). */
  description: string;
}

type Env = Record<string, string | undefined>;

export interface StorageClientsOptions {
  /**
   * Prefix of every request's User-Agent: who is calling, so the storage logs (Azure's, or
   * Azurite's --debug log that `npm run bench` counts) tell the app's requests from the host's.
   */
  userAgentPrefix?: string;
  /** Signs the identity-based clients (default: the managed identity the settings name, else DefaultAzureCredential). */
  credential?: TokenCredential;
}

/** Azurite's (and the storage emulator's) well-known account: public, documented, local only. */
const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const DEVELOPMENT_STORAGE_PORTS = { blobPort: 10000, queuePort: 10001, tablePort: 10002 };

/** The connection string for Azurite's default account on 127.0.0.1 at the given ports. */
export function azuriteConnectionString(
  ports: { blobPort: number; queuePort: number; tablePort: number },
  protocol: 'http' | 'https' = 'http',
): string {
  const base = `${protocol}://127.0.0.1`;
  return (
    `DefaultEndpointsProtocol=${protocol};AccountName=devstoreaccount1;AccountKey=${DEV_ACCOUNT_KEY};` +
    `BlobEndpoint=${base}:${ports.blobPort}/devstoreaccount1;QueueEndpoint=${base}:${ports.queuePort}/devstoreaccount1;` +
    `TableEndpoint=${base}:${ports.tablePort}/devstoreaccount1;`
  );
}

/** `UseDevelopmentStorage=true` (Core Tools' and the templates' default) spelled out, so its key signs SAS too. */
export const isDevelopmentStorage = (connectionString: string): boolean =>
  /(^|;)\s*UseDevelopmentStorage\s*=\s*true\s*(;|$)/i.test(connectionString);

export function createStorageClients(
  env: Env = process.env,
  options: StorageClientsOptions = {},
): StorageClients {
  const raw = env.AzureWebJobsStorage;
  const connectionString =
    raw && isDevelopmentStorage(raw) ? azuriteConnectionString(DEVELOPMENT_STORAGE_PORTS) : raw;
  const userAgentOptions = { userAgentPrefix: options.userAgentPrefix ?? 'image-classifier' };
  if (connectionString) {
    const clients = fromConnectionString(connectionString, userAgentOptions);
    // Test-only fault injection (src/lib/storage/faults.ts); nothing changes when unset.
    const faults = parseStorageFaults(env.STORAGE_FAULTS);
    return faults.length > 0 ? withFaults(clients, connectionString, faults) : clients;
  }
  const endpoints = identityEndpoints(env);
  if (endpoints)
    return fromIdentity(endpoints, options.credential ?? identityCredential(env), userAgentOptions);
  throw new Error(
    'No storage configured: set AzureWebJobsStorage to a connection string (npm start does this for Azurite), ' +
      'or AzureWebJobsStorage__accountName (or the __blobServiceUri/__queueServiceUri/__tableServiceUri settings) in Azure.',
  );
}

/** One client per table name: building a TableClient builds its whole pipeline, which showed in profiles. */
function perTable(create: (table: string) => TableClient): (table: string) => TableClient {
  const clients = new Map<string, TableClient>();
  return (table) => {
    let client = clients.get(table);
    if (!client) clients.set(table, (client = create(table)));
    return client;
  };
}

interface UserAgentOptions {
  userAgentPrefix: string;
}

function fromConnectionString(connectionString: string, userAgentOptions: UserAgentOptions): StorageClients {
  const blobs = BlobServiceClient.fromConnectionString(connectionString, { userAgentOptions });
  const parts = new Map(
    connectionString.split(';').map((kv) => {
      const at = kv.indexOf('=');
      return [kv.slice(0, at), kv.slice(at + 1)] as const;
    }),
  );
  const name = parts.get('AccountName');
  const key = parts.get('AccountKey');
  return {
    blobs,
    queues: QueueServiceClient.fromConnectionString(connectionString, { userAgentOptions }),
    // Azurite speaks plain http; the SDK refuses shared-key auth over http unless told.
    table: perTable((table) =>
      TableClient.fromConnectionString(connectionString, table, {
        allowInsecureConnection: true,
        userAgentOptions,
      }),
    ),
    sharedKey: name && key ? new StorageSharedKeyCredential(name, key) : undefined,
    description: `account ${name ?? '?'} at ${blobs.url}`,
  };
}

interface Endpoints {
  blob: string;
  queue: string;
  table: string;
}

function identityEndpoints(env: Env): Endpoints | undefined {
  const account = env.AzureWebJobsStorage__accountName;
  const blob =
    env.AzureWebJobsStorage__blobServiceUri ?? (account && `https://${account}.blob.core.windows.net`);
  const queue =
    env.AzureWebJobsStorage__queueServiceUri ?? (account && `https://${account}.queue.core.windows.net`);
  const table =
    env.AzureWebJobsStorage__tableServiceUri ?? (account && `https://${account}.table.core.windows.net`);
  return blob && queue && table ? { blob, queue, table } : undefined;
}

/** The app's identity as the storage settings name it (Event Grid publishing signs with the same one). */
export function identityCredential(env: Env = process.env): TokenCredential {
  const clientId = env.AzureWebJobsStorage__clientId;
  if (env.AzureWebJobsStorage__credential === 'managedidentity') {
    return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
  }
  return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
}

function fromIdentity(
  endpoints: Endpoints,
  credential: TokenCredential,
  userAgentOptions: UserAgentOptions,
): StorageClients {
  return {
    blobs: new BlobServiceClient(endpoints.blob, credential, { userAgentOptions }),
    queues: new QueueServiceClient(endpoints.queue, credential, { userAgentOptions }),
    table: perTable((table) => new TableClient(endpoints.table, table, credential, { userAgentOptions })),
    description: `${endpoints.blob} (managed identity)`,
  };
}

/**
 * FAULT HOOK (tests only): the same clients with STORAGE_FAULTS policies in their pipelines.
 * Connection strings only, since only tests against Azurite set it.
 */
function withFaults(
  clients: StorageClients,
  connectionString: string,
  faults: StorageFault[],
): StorageClients {
  if (!clients.sharedKey) throw new Error('STORAGE_FAULTS needs a connection string with an account key.');
  const blobPipeline = newBlobPipeline(clients.sharedKey);
  blobPipeline.factories.unshift(storageFaultFactory(faults, 'blob'));
  // The queue package signs only with its own credential class (it may bundle its own storage-common).
  const accountKey = /(?:^|;)AccountKey=([^;]+)/.exec(connectionString)?.[1] ?? '';
  const queuePipeline = newQueuePipeline(
    new QueueSharedKeyCredential(clients.sharedKey.accountName, accountKey),
  );
  queuePipeline.factories.unshift(storageFaultFactory(faults, 'queue'));
  const policy = tableFaultPolicy(faults);
  return {
    ...clients,
    blobs: new BlobServiceClient(clients.blobs.url, blobPipeline),
    queues: new QueueServiceClient(clients.queues.url, queuePipeline),
    table: (table) =>
      TableClient.fromConnectionString(connectionString, table, {
        allowInsecureConnection: true,
        additionalPolicies: [{ policy, position: 'perCall' }],
      }),
    description: `${clients.description} with STORAGE_FAULTS`,
  };
}
