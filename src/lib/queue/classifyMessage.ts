/**
 * The `classify` queue's messages: small (ids and names, never image bytes), of two kinds:
 *  - a blob (`BlobMessage`): work the intake could not finish inline (a retryable fault, a
 *    claim another delivery holds, the model not loaded yet);
 *  - images of a bulk job (`JobImagesMessage`): up to JOB_IMAGES_PER_MESSAGE blobs of one
 *    listing page, so a job costs one message (put, get, delete) per several images, not per image.
 * `check` marks the watchdog copy a last attempt leaves behind, so a crash on that attempt still
 * ends in a recorded failure (see worker/processMessage.ts).
 */
import type { StorageClients } from '../storage/clients';
import { storageNames } from '../storage/names';
import { encodeQueueMessage } from './encoding';

export interface BlobMessage {
  kind: 'blob';
  /**
   * The result id. Not `id`: the host adds every top-level property of a JSON message to the
   * trigger metadata, and an `id` there would overwrite the queue message's own `Id`
   * (azure-functions-host Utility.ApplyBindingData; see test/fixtures/triggers/).
   */
  resultId: string;
  container: string;
  blob: string;
  /** The blob version the work is for. */
  etag?: string;
  /** Event Grid's sequencer of that version. */
  sequencer?: string;
  /** The size the event reported, checked before any byte is read. */
  size?: number;
  /** Who holds the row's claim and may resume it at once (the event that handed the work over). */
  claimant?: string;
  /** The model the work is waiting for, when intake knew it (the model gate holds only that model's work). */
  model?: string;
  /** The watchdog of a last attempt: record the failure if the row is still not terminal. */
  check?: boolean;
  /** When the work was first seen, for `timings.queueMs`. */
  enqueuedAt: string;
}

export interface JobImage {
  resultId: string;
  blob: string;
  /** The version the listing saw (informational: a job reads what the blob holds when it gets there). */
  etag?: string;
}

export interface JobImagesMessage {
  kind: 'job';
  jobId: string;
  container: string;
  images: JobImage[];
  /** The job's model (default: the app's default model). */
  model?: string;
  check?: boolean;
  /** When the listing queued them. */
  enqueuedAt: string;
}

export type ClassifyMessage = BlobMessage | JobImagesMessage;

/**
 * Images per job message. They are classified one after another within the message, so the
 * images in flight per instance stay what the host's queue batch allows (as with one per
 * message), while the message's put, get and delete are shared by eight images.
 */
export const JOB_IMAGES_PER_MESSAGE = 8;

const optional = (value: unknown, type: 'string' | 'number' | 'boolean'): boolean =>
  value === undefined || typeof value === type;

type Loose = Record<string, unknown>;

/** Validates a message at the queue boundary; throws a plain Error (a malformed message is a bug, not user input). */
export function parseClassifyMessage(raw: unknown): ClassifyMessage {
  const value = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Loose | null;
  const message = value && typeof value === 'object' ? normalise(value) : undefined;
  if (!message) throw new Error(`Malformed classify message: ${JSON.stringify(raw).slice(0, 200)}`);
  return message;
}

function normalise(v: Loose): ClassifyMessage | undefined {
  const common =
    typeof v.container === 'string' &&
    typeof v.enqueuedAt === 'string' &&
    optional(v.check, 'boolean') &&
    optional(v.model, 'string');
  if (!common) return undefined;
  if (v.kind === 'job') {
    const images = Array.isArray(v.images) ? (v.images as Loose[]) : [];
    const ok =
      typeof v.jobId === 'string' &&
      images.length > 0 &&
      images.every(
        (i) =>
          i && typeof i.resultId === 'string' && typeof i.blob === 'string' && optional(i.etag, 'string'),
      );
    return ok ? (v as unknown as JobImagesMessage) : undefined;
  }
  // Messages written before job batches and the rename (still in a poison queue, say): `id`, and a job image per message.
  const resultId = v.resultId ?? v.id;
  if (typeof resultId !== 'string' || typeof v.blob !== 'string' || !optional(v.etag, 'string'))
    return undefined;
  if (v.kind === undefined && typeof v.jobId === 'string') {
    return {
      kind: 'job',
      jobId: v.jobId,
      container: v.container as string,
      images: [{ resultId, blob: v.blob, etag: v.etag as string | undefined }],
      check: v.check as boolean | undefined,
      enqueuedAt: v.enqueuedAt as string,
    };
  }
  const ok =
    (v.kind === undefined || v.kind === 'blob') &&
    optional(v.sequencer, 'string') &&
    optional(v.size, 'number') &&
    optional(v.claimant, 'string');
  if (!ok) return undefined;
  const { id: _id, ...rest } = v;
  return { ...(rest as unknown as BlobMessage), kind: 'blob', resultId };
}

/** The result ids a message is about. */
export const resultIdsOf = (message: ClassifyMessage): string[] =>
  message.kind === 'job' ? message.images.map((i) => i.resultId) : [message.resultId];

export interface EnqueueClassifyOptions {
  /** Seconds the message stays invisible (the queue allows up to 7 days). */
  delaySeconds?: number;
}

type Enqueued<T> = T extends ClassifyMessage ? Omit<T, 'enqueuedAt'> & { enqueuedAt?: string } : never;

export async function enqueueClassify(
  storage: StorageClients,
  message: Enqueued<ClassifyMessage>,
  options: EnqueueClassifyOptions = {},
): Promise<void> {
  const body = { ...message, enqueuedAt: message.enqueuedAt ?? new Date().toISOString() };
  await storage.queues.getQueueClient(storageNames.classifyQueue).sendMessage(encodeQueueMessage(body), {
    visibilityTimeout: options.delaySeconds ? Math.ceil(options.delaySeconds) : undefined,
  });
}
