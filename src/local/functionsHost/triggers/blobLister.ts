/**
 * Thread entry of the Event Grid stand-in's change finder: lists the subscribed containers
 * every `intervalMs` and posts what changed in each since its last listing (new or rewritten
 * versions, names gone). One thread serves every subscription. Listing and parsing a large container is the stand-in's own cost, which Event
 * Grid replaces in Azure, so it runs here, off the event loop the functions use, and its CPU
 * can be told apart from the app's (it posts its thread id; /proc/<pid>/task/<tid> has its times).
 *
 * Each change gets its Event Grid `sequencer` here, where it is found: one sequence for every
 * subscription (a BlobCreated and a BlobDeleted of one name go to different functions and are
 * compared by the app), in the order the changes happened as far as listings can tell.
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
  /** The Event Grid sequencer of this version (see sequencer()). */
  sequencer: string;
}

/** A name in the previous listing that is not in this one. */
export interface RemovedBlob {
  name: string;
  /** The Event Grid sequencer of its deletion. */
  sequencer: string;
}

export type ListerMessage =
  | { kind: 'thread'; tid?: number }
  | {
      kind: 'changes';
      container: string;
      changed: ListedBlob[];
      removed: RemovedBlob[];
      /**
       * The first complete listing of the container since the thread started: every blob in it
       * is in `changed` (posted even when the container is empty), so a subscription can tell
       * which names its checkpoint knows are gone.
       */
      first: boolean;
      /** A sequencer taken once the listing ended: for deletions found against a checkpoint. */
      sequencer: string;
    }
  | { kind: 'error'; container: string; message: string };

const data = workerData as ListerData;
const port = parentPort!;
const post = (m: ListerMessage): void => port.postMessage(m);

let counter = 0;
/**
 * Event Grid's `data.sequencer` is an opaque string whose order is the order of one blob name's
 * events (32 hex digits in the published samples). Here: the clock in ms, then a counter, so it
 * also grows across restarts (listings give Last-Modified to the second only).
 */
function sequencer(): string {
  return Date.now().toString(16).padStart(16, '0') + (counter++ % 2 ** 32).toString(16).padStart(16, '0');
}

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
  // Undefined until a container's first complete listing.
  const previous = new Map<string, Map<string, string> | undefined>(
    data.containers.map((c) => [c, undefined]),
  );
  post({ kind: 'thread', tid: threadId() });
  for (;;) {
    for (const name of data.containers) {
      try {
        previous.set(name, await scan(blobs.getContainerClient(name), previous.get(name)));
      } catch (err) {
        post({ kind: 'error', container: name, message: (err as Error).message });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, data.intervalMs));
  }
}

/**
 * Lists one container, posts what changed against `previous` (undefined before its first
 * complete listing), returns the new listing (name to ETag).
 */
async function scan(
  container: ContainerClient,
  previous: Map<string, string> | undefined,
): Promise<Map<string, string> | undefined> {
  // A missing container is not a listing: deleting a container calls no DeleteBlob, so Event
  // Grid sends no BlobDeleted for what it held. Its names stay as last listed until it is back.
  if (!(await container.exists())) return previous;
  const current = new Map<string, string>();
  const changed: ListedBlob[] = [];
  for await (const item of container.listBlobsFlat()) {
    const etag = (item.properties.etag ?? '').replace(/"/g, '');
    current.set(item.name, etag);
    if (previous?.get(item.name) !== etag) {
      changed.push({
        name: item.name,
        etag,
        contentLength: item.properties.contentLength ?? 0,
        contentType: item.properties.contentType,
        lastModified: item.properties.lastModified?.getTime() ?? 0,
        sequencer: sequencer(),
      });
    }
  }
  const removed = [...(previous?.keys() ?? [])]
    .filter((name) => !current.has(name))
    .map((name) => ({ name, sequencer: sequencer() }));
  const first = previous === undefined;
  if (first || changed.length > 0 || removed.length > 0)
    post({
      kind: 'changes',
      container: container.containerName,
      changed,
      removed,
      first,
      sequencer: sequencer(),
    });
  return current;
}

void run();
