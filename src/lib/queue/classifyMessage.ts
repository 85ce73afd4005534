/**
 * The `classify` queue's message: small (ids and names, never image bytes), JSON, and
 * base64-encoded because that is the Functions host's default `messageEncoding`.
 */
import { storageClients } from '../storage/clients';
import { storageNames } from '../storage/names';

export interface ClassifyMessage {
  id: string;
  container: string;
  blob: string;
  /** The blob version the event was for. */
  etag?: string;
  jobId?: string;
  /** When it was queued, for `timings.queueMs`. */
  enqueuedAt: string;
}

/** Validates a message at the queue boundary; throws a plain Error (a malformed message is a bug, not user input). */
export function parseClassifyMessage(raw: unknown): ClassifyMessage {
  const value = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Partial<ClassifyMessage> | null;
  const ok =
    value !== null &&
    typeof value === 'object' &&
    typeof value.id === 'string' &&
    typeof value.container === 'string' &&
    typeof value.blob === 'string' &&
    typeof value.enqueuedAt === 'string' &&
    (value.etag === undefined || typeof value.etag === 'string') &&
    (value.jobId === undefined || typeof value.jobId === 'string');
  if (!ok) throw new Error(`Malformed classify message: ${JSON.stringify(raw).slice(0, 200)}`);
  return value as ClassifyMessage;
}

export async function enqueueClassify(message: Omit<ClassifyMessage, 'enqueuedAt'>): Promise<void> {
  const body: ClassifyMessage = { ...message, enqueuedAt: new Date().toISOString() };
  await storageClients()
    .queues.getQueueClient(storageNames.classifyQueue)
    .sendMessage(Buffer.from(JSON.stringify(body)).toString('base64'));
}
