/**
 * The `jobs` queue's messages (base64 JSON, like `classify`): one per page of a job's listing,
 * carrying the listing's continuation token so a job over any number of blobs advances one
 * page per invocation and survives restarts; one "export" when a job has ended; and the
 * retention sweep's steps, one page each, for the same reason.
 */
import { encodeQueueMessage } from '../queue/encoding';
import type { RetentionStep } from '../retention/retentionConfig';
import type { StorageClients } from '../storage/clients';
import { storageNames } from '../storage/names';

export interface ListPageMessage {
  kind: 'list';
  jobId: string;
  /** 1 for the first page; page n+1 is queued only after page n is counted. */
  page: number;
  continuationToken?: string;
}

export interface ExportMessage {
  kind: 'export';
  jobId: string;
}

export interface RetentionMessage {
  kind: 'retention';
  step: RetentionStep;
}

export type JobMessage = ListPageMessage | ExportMessage | RetentionMessage;

/** Validates a message at the queue boundary; a malformed one is a bug, so a plain Error. */
export function parseJobMessage(raw: unknown): JobMessage {
  const value = (typeof raw === 'string' ? JSON.parse(raw) : raw) as
    (Omit<Partial<ListPageMessage>, 'kind'> & { kind?: string; step?: Partial<RetentionStep> }) | null;
  if (value?.kind === 'retention') {
    const step = value.step;
    const valid =
      typeof step === 'object' &&
      (step.phase === 'uploads' || step.phase === 'results') &&
      typeof step.uploadsBefore === 'string' &&
      typeof step.resultsBefore === 'string' &&
      Number.isSafeInteger(step.pageSize) &&
      (step.continuationToken === undefined || typeof step.continuationToken === 'string');
    if (!valid) throw new Error(`Malformed retention message: ${JSON.stringify(raw).slice(0, 200)}`);
    return value as RetentionMessage;
  }
  const ok =
    value !== null &&
    typeof value === 'object' &&
    typeof value.jobId === 'string' &&
    (value.kind === 'export' ||
      (value.kind === 'list' &&
        Number.isSafeInteger(value.page) &&
        (value.continuationToken === undefined || typeof value.continuationToken === 'string')));
  if (!ok) throw new Error(`Malformed jobs message: ${JSON.stringify(raw).slice(0, 200)}`);
  return value as JobMessage;
}

export async function enqueueJobMessage(
  storage: StorageClients,
  message: JobMessage,
  options: { delaySeconds?: number } = {},
): Promise<void> {
  await storage.queues
    .getQueueClient(storageNames.jobsQueue)
    .sendMessage(encodeQueueMessage(message), { visibilityTimeout: options.delaySeconds });
}
