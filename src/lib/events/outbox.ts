/**
 * The events outbox: a fact the app has recorded (a job that ended, a result that finished)
 * becomes a message on the `events` queue, sent after the storage write that made it true and
 * before the work that caused it is acknowledged. So a crash between the two loses nothing:
 * the work is redelivered, finds its outcome already recorded, and sends the message again
 * (the event's id is the same, so a subscriber sees a duplicate, never a gap). A queue-
 * triggered function delivers it (deliverEvents.ts). With no sink configured, or with per-
 * result events off, this sends nothing: zero storage requests.
 */
import type { ClassificationResult } from '../results/result';
import type { StorageClients } from '../storage/clients';
import { encodeQueueMessage } from '../queue/encoding';
import { storageNames } from '../storage/names';
import { configuredSinks, type EventsConfig, type SinkName } from './eventsConfig';
import type { EventGridSink } from './eventGridSink';

export type EventFact = { kind: 'job'; jobId: string } | { kind: 'result'; result: ClassificationResult };

export interface EventsMessage {
  facts: EventFact[];
  /** The sinks still to take these facts (absent: every configured sink). */
  sinks?: SinkName[];
  /** Deliveries tried so far, and when the first was, for the retry schedule. */
  attempts?: number;
  firstAttemptAt?: string;
}

/** A queue message holds 64 KiB, base64 of 48 KiB: results go in messages of about 40 KiB. */
const MESSAGE_BUDGET = 40 * 1024;

export class EventOutbox {
  constructor(
    private readonly storage: StorageClients,
    readonly config: EventsConfig,
    /** Built once per process when a topic is configured (its client keeps its token). */
    readonly eventGrid?: EventGridSink,
  ) {}

  get enabled(): boolean {
    return configuredSinks(this.config).length > 0;
  }

  /** A job reached a terminal state (and its exports are written). */
  async jobCompleted(jobId: string): Promise<void> {
    if (this.enabled) await send(this.storage, { facts: [{ kind: 'job', jobId }] });
  }

  /** Results that finished (or were found finished by a redelivery): one message per ~40 KiB. */
  async resultsCompleted(results: readonly ClassificationResult[]): Promise<void> {
    if (!this.enabled || !this.config.perResult || results.length === 0) return;
    let facts: EventFact[] = [];
    let size = 0;
    for (const result of results) {
      const bytes = JSON.stringify(result).length;
      if (facts.length > 0 && size + bytes > MESSAGE_BUDGET) {
        await send(this.storage, { facts });
        facts = [];
        size = 0;
      }
      facts.push({ kind: 'result', result });
      size += bytes;
    }
    await send(this.storage, { facts });
  }
}

export async function send(
  storage: StorageClients,
  message: EventsMessage,
  options: { visibilityTimeout?: number } = {},
): Promise<void> {
  await storage.queues
    .getQueueClient(storageNames.eventsQueue)
    .sendMessage(encodeQueueMessage(message), options);
}

/** Validates a message at the queue boundary; a malformed one is a bug, so a plain Error. */
export function parseEventsMessage(raw: unknown): EventsMessage {
  const value = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Partial<EventsMessage> | null;
  const ok =
    value !== null &&
    typeof value === 'object' &&
    Array.isArray(value.facts) &&
    value.facts.every(
      (f) =>
        (f?.kind === 'job' && typeof f.jobId === 'string') ||
        (f?.kind === 'result' && typeof f.result?.id === 'string'),
    ) &&
    (value.sinks === undefined ||
      (Array.isArray(value.sinks) && value.sinks.every((s) => s === 'webhook' || s === 'eventGrid')));
  if (!ok) throw new Error(`Malformed events message: ${JSON.stringify(raw).slice(0, 200)}`);
  return value as EventsMessage;
}
