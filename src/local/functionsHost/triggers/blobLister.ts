/**
 * Thread entry of the Event Grid stand-in's change finder: lists the subscribed containers
 * every `intervalMs` and posts what changed in each since its last listing (new or rewritten
 * versions, names gone). One thread serves every subscription. Listing and parsing a large container is the stand-in's own cost, which Event
 * Grid replaces in Azure, so it runs here, off the event loop the functions use, and its CPU
 * can be told apart from the app's (it posts its thread id; /proc/<pid>/task/<tid> has its times).
 */
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { ContainerClient } from '@azure/storage-blob';
import { createStorageClients } from '../../../lib/storage/clients';

export interface ListerData {
  connectionString: string;
  containers: string[];
  intervalMs: number;
}

export interface ListedBlob {
  name: string;
  /** Without quotes, as Event Grid's `data.eTag`. */
  etag: string;
  contentLength: number;
  contentType?: string;
  /** Last-Modified, ms since the epoch (whole seconds, as storage keeps it). */
  lastModified: number;
}

export type ListerMessage =
  | { kind: 'thread'; tid?: number }
  | { kind: 'changes'; container: string; changed: ListedBlob[]; removed: string[] }
  | { kind: 'error'; container: string; message: string };

const data = workerData as ListerData;
const port = parentPort!;
const post = (m: ListerMessage): void => port.postMessage(m);

function threadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()); // "<pid>/task/<tid>" on Linux
  } catch {
    return undefined;
  }
}

async function run(): Promise<void> {
  const blobs = createStorageClients(
    { AzureWebJobsStorage: data.connectionString },
    { userAgentPrefix: 'eventgrid-standin' },
  ).blobs;
  const previous = new Map(data.containers.map((c) => [c, new Map<string, string>()]));
  post({ kind: 'thread', tid: threadId() });
  for (;;) {
    for (const name of data.containers) {
      try {
        previous.set(name, await scan(blobs.getContainerClient(name), previous.get(name)!));
      } catch (err) {
        post({ kind: 'error', container: name, message: (err as Error).message });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, data.intervalMs));
  }
}

/** Lists one container, posts what changed against `previous`, returns the new listing (name to ETag). */
async function scan(container: ContainerClient, previous: Map<string, string>): Promise<Map<string, string>> {
  const current = new Map<string, string>();
  const changed: ListedBlob[] = [];
  if (await container.exists()) {
    for await (const item of container.listBlobsFlat()) {
      const etag = (item.properties.etag ?? '').replace(/"/g, '');
      current.set(item.name, etag);
      if (previous.get(item.name) !== etag) {
        changed.push({
          name: item.name,
          etag,
          contentLength: item.properties.contentLength ?? 0,
          contentType: item.properties.contentType,
          lastModified: item.properties.lastModified?.getTime() ?? 0,
        });
      }
    }
  }
  const removed = [...previous.keys()].filter((name) => !current.has(name));
  if (changed.length > 0 || removed.length > 0)
    post({ kind: 'changes', container: container.containerName, changed, removed });
  return current;
}

void run();
