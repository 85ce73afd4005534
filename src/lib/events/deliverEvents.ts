/**
 * Delivers one `events` message to every sink still owed it. Job events are built now from the
 * job's row (its final counts and export names, as `GET /api/jobs/{id}` answers); result events
 * carry the result as it was recorded.
 *
 * A sink that is down does not cost the message its queue attempts: the facts it still owes are
 * sent again as a new message, invisible for Event Grid's own retry schedule (10 s, 30 s, 1 min,
 * 5 min, 10 min, 30 min, then hourly) for up to 24 hours, and this attempt succeeds. A sink that
 * refuses an event for good (a 4xx other than 408 and 429), or 24 hours of failures, puts those
 * facts on `events-poison` with the reason, where the failure report lists them and the replay
 * sends them again. A storage fault is thrown: the host retries the message as any other.
 */
import { jobView } from '../jobs/job';
import type { Services } from '../services';
import { encodeQueueMessage } from '../queue/encoding';
import { storageNames } from '../storage/names';
import { jobCompletedEvent, resultCompletedEvent, type CloudEvent } from './cloudEvents';
import { configuredSinks, type SinkName } from './eventsConfig';
import { send, type EventFact, type EventsMessage } from './outbox';
import { SinkError } from './sinkError';
import { postWebhook } from './webhook';

/** Seconds before the next delivery after the n-th failed one (Event Grid's schedule). */
export const RETRY_SCHEDULE_S = [10, 30, 60, 300, 600, 1800, 3600];
export const GIVE_UP_AFTER_MS = 24 * 3600 * 1000;

export interface DeliverOptions {
  /** Now, for the retry schedule (tests move it). */
  now?: () => number;
}

export interface DeliveryOutcome {
  delivered: number;
  /** Facts sent again for later, by sink. */
  retrying: Partial<Record<SinkName, number>>;
  poisoned: Partial<Record<SinkName, number>>;
}

export async function deliverEvents(
  services: Pick<Services, 'jobs' | 'storage' | 'events'>,
  message: EventsMessage,
  options: DeliverOptions = {},
): Promise<DeliveryOutcome> {
  const now = options.now ?? Date.now;
  const { config } = services.events;
  const events = await buildEvents(services, message.facts, config.publicUrl);
  const outcome: DeliveryOutcome = { delivered: 0, retrying: {}, poisoned: {} };
  if (events.length === 0) return outcome; // a job deleted since: nothing left to say
  // A sink removed from the settings since is owed nothing; one added gets what is new.
  const configured = configuredSinks(config);
  for (const sink of (message.sinks ?? configured).filter((s) => configured.includes(s))) {
    const failed: { fact: EventFact; error: SinkError }[] = [];
    if (sink === 'webhook') {
      // One request per event, as Standard Webhooks has it, in the message's order.
      for (const { fact, event } of events) {
        try {
          await postWebhook(config.webhook!, event, now);
        } catch (err) {
          failed.push({ fact, error: asSinkError(err) });
        }
      }
    } else {
      try {
        await services.events.eventGrid!.send(events.map((e) => e.event));
      } catch (err) {
        const error = asSinkError(err);
        failed.push(...events.map(({ fact }) => ({ fact, error })));
      }
    }
    outcome.delivered += events.length - failed.length;
    await owe(services, message, sink, failed, now, outcome);
  }
  return outcome;
}

/** Facts a sink did not take: sent again after the schedule's delay, or put aside as poison. */
async function owe(
  services: Pick<Services, 'storage'>,
  message: EventsMessage,
  sink: SinkName,
  failed: { fact: EventFact; error: SinkError }[],
  now: () => number,
  outcome: DeliveryOutcome,
): Promise<void> {
  if (failed.length === 0) return;
  const attempts = (message.attempts ?? 0) + 1;
  const firstAttemptAt = message.firstAttemptAt ?? new Date(now()).toISOString();
  const delayS = RETRY_SCHEDULE_S[Math.min(attempts - 1, RETRY_SCHEDULE_S.length - 1)];
  const expired = now() + delayS * 1000 - Date.parse(firstAttemptAt) > GIVE_UP_AFTER_MS;
  const retry = failed.filter((f) => f.error.retryable && !expired);
  const poison = failed.filter((f) => !retry.includes(f));
  if (retry.length > 0) {
    await send(
      services.storage,
      { facts: retry.map((f) => f.fact), sinks: [sink], attempts, firstAttemptAt },
      { visibilityTimeout: delayS },
    );
    outcome.retrying[sink] = retry.length;
  }
  if (poison.length > 0) {
    const reason = expired
      ? `${sink}: not delivered in 24 hours (${attempts} attempts); last: ${poison[0].error.message}`
      : `${sink}: ${poison[0].error.message}`;
    await services.storage.queues.getQueueClient(storageNames.eventsPoisonQueue).sendMessage(
      encodeQueueMessage({
        facts: poison.map((f) => f.fact),
        sinks: [sink],
        attempts,
        firstAttemptAt,
        reason,
      }),
    );
    outcome.poisoned[sink] = poison.length;
  }
}

async function buildEvents(
  services: Pick<Services, 'jobs'>,
  facts: EventFact[],
  publicUrl: string | undefined,
): Promise<{ fact: EventFact; event: CloudEvent }[]> {
  const built: { fact: EventFact; event: CloudEvent }[] = [];
  for (const fact of facts) {
    if (fact.kind === 'result') {
      built.push({ fact, event: resultCompletedEvent(fact.result, publicUrl) });
      continue;
    }
    const record = await services.jobs.get(fact.jobId);
    // A job deleted since (retention) has nothing left to report.
    if (record)
      built.push({ fact, event: jobCompletedEvent(jobView(record.job, publicUrl ?? ''), publicUrl) });
  }
  return built;
}

const asSinkError = (err: unknown): SinkError =>
  err instanceof SinkError ? err : new SinkError((err as Error).message, { retryable: true });
