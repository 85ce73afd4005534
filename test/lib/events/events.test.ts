// The events outbox and its delivery against a real Azurite and a real loopback receiver,
// without the app: what is queued (nothing when no sink is set), how a webhook is signed, and
// what a receiver that is down or refuses costs (a later retry, or events-poison with the reason).
import { createJob } from '../../../src/lib/jobs/createJob';
import { runJobStep } from '../../../src/lib/jobs/runJobStep';
import { JOB_COMPLETED, RESULT_COMPLETED } from '../../../src/lib/events/cloudEvents';
import { deliverEvents, RETRY_SCHEDULE_S } from '../../../src/lib/events/deliverEvents';
import { eventsConfigFromEnv, type EventsConfig } from '../../../src/lib/events/eventsConfig';
import { parseEventsMessage, type EventsMessage } from '../../../src/lib/events/outbox';
import { replayEventsPoison } from '../../../src/lib/events/replayEvents';
import { webhookSignature } from '../../../src/lib/events/webhook';
import { decodeQueueMessage } from '../../../src/lib/queue/encoding';
import type { ClassificationResult } from '../../../src/lib/results/result';
import type { Services } from '../../../src/lib/services';
import { ensureStorage } from '../../../src/lib/storage/ensureStorage';
import { storageNames } from '../../../src/lib/storage/names';
import { useAzurite } from '../../support/azurite';
import { servicesFor } from '../../support/services';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhookReceiver';

const azurite = useAzurite();
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver.close());

function servicesWith(events: Partial<EventsConfig>): Services {
  return servicesFor(azurite.connectionString, { events: { perResult: false, ...events } });
}

const webhookConfig = (): EventsConfig['webhook'] => ({
  url: receiver.url,
  secret: Buffer.from(receiver.secret.slice('whsec_'.length), 'base64'),
});

/** Every message on a queue, taken off it. */
async function drain(services: Services, queue: string): Promise<(EventsMessage & { reason?: string })[]> {
  const client = services.storage.queues.getQueueClient(queue);
  const out: (EventsMessage & { reason?: string })[] = [];
  for (;;) {
    const { receivedMessageItems: items } = await client.receiveMessages({ numberOfMessages: 32 });
    if (items.length === 0) return out;
    for (const item of items) {
      out.push(decodeQueueMessage(item.messageText) as EventsMessage & { reason?: string });
      await client.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

async function queueLength(services: Services, queue: string): Promise<number> {
  const props = await services.storage.queues.getQueueClient(queue).getProperties();
  return props.approximateMessagesCount ?? 0;
}

const result = (id: string, completedAt = '2026-12-03T10:00:00.000Z'): ClassificationResult => ({
  id,
  status: 'succeeded',
  source: { name: `${id}.jpg` },
  predictions: [{ label: 'tabby, tabby cat', classIndex: 281, score: 0.9 }],
  model: { id: 'mobilenetv2-12-int8', sha256: 'x', computation: 'exact' },
  timings: { queueMs: 0, downloadMs: 0, decodeMs: 1, inferMs: 1, totalMs: 2 },
  createdAt: '2026-12-03T09:59:59.000Z',
  completedAt,
});

describe('signing', () => {
  it("reproduces the Standard Webhooks specification's published signature", () => {
    const secret = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    expect(webhookSignature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('refuses a webhook without a secret, or with one that is not whsec_ and enough random bytes', () => {
    expect(() => eventsConfigFromEnv({ CLASSIFIER_EVENTS_WEBHOOK_URL: 'https://example.com/hook' })).toThrow(
      /CLASSIFIER_EVENTS_WEBHOOK_SECRET/,
    );
    expect(() =>
      eventsConfigFromEnv({
        CLASSIFIER_EVENTS_WEBHOOK_URL: 'https://example.com/hook',
        CLASSIFIER_EVENTS_WEBHOOK_SECRET: 'whsec_c2hvcnQ=',
      }),
    ).toThrow(/24 to 64 random bytes/);
    expect(() => eventsConfigFromEnv({ CLASSIFIER_EVENTS_WEBHOOK_URL: 'file:///etc/passwd' })).toThrow(
      /http\(s\) URL/,
    );
    expect(eventsConfigFromEnv({})).toEqual({ perResult: false });
  });
});

describe('the outbox', () => {
  beforeAll(async () => ensureStorage(servicesWith({}).storage));
  beforeEach(async () => {
    // Invisible messages too (a retry waiting for its time).
    const { queues } = servicesWith({}).storage;
    await queues.getQueueClient(storageNames.eventsQueue).clearMessages();
    await queues.getQueueClient(storageNames.eventsPoisonQueue).clearMessages();
  });

  it('queues nothing without a sink, and no result events unless they are asked for', async () => {
    const none = servicesWith({});
    await none.events.jobCompleted('j1');
    await none.events.resultsCompleted([result('r1')]);
    expect(await queueLength(none, storageNames.eventsQueue)).toBe(0);

    const jobsOnly = servicesWith({ webhook: webhookConfig() });
    await jobsOnly.events.resultsCompleted([result('r1')]);
    expect(await queueLength(jobsOnly, storageNames.eventsQueue)).toBe(0);
    await jobsOnly.events.jobCompleted('j1');
    expect(await drain(jobsOnly, storageNames.eventsQueue)).toEqual([
      { facts: [{ kind: 'job', jobId: 'j1' }] },
    ]);
  });

  it('puts many results in few messages, each under the queue limit', async () => {
    const services = servicesWith({ webhook: webhookConfig(), perResult: true });
    const many = Array.from({ length: 150 }, (_, i) => result(`r${i}`));
    await services.events.resultsCompleted(many);
    const messages = await drain(services, storageNames.eventsQueue);
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.length).toBeLessThan(10);
    expect(messages.flatMap((m) => m.facts.map((f) => (f.kind === 'result' ? f.result.id : '')))).toEqual(
      many.map((r) => r.id),
    );
    for (const m of messages) expect(JSON.stringify(m).length).toBeLessThan(48 * 1024);
  });

  it("sends a job's event after its exports, with its final counts, signed, with the same id every time", async () => {
    const services = servicesWith({ webhook: webhookConfig(), publicUrl: 'http://localhost:7071' });
    const job = await createJob(services, { kind: 'upload', total: 0 });
    await runJobStep(services, { kind: 'export', jobId: job.id });
    await runJobStep(services, { kind: 'export', jobId: job.id }); // a redelivered export step
    const messages = await drain(services, storageNames.eventsQueue);
    expect(messages).toHaveLength(2);
    const before = receiver.deliveries.length;
    for (const m of messages) await deliverEvents(services, parseEventsMessage(m));
    const got = receiver.deliveries.slice(before);
    expect(got).toHaveLength(2);
    expect(new Set(got.map((d) => d.id))).toEqual(new Set([`job/${job.id}/completed`]));
    for (const d of got) {
      expect(d.signatureValid).toBe(true);
      expect(d.contentType).toBe('application/cloudevents+json; charset=utf-8');
      expect(d.event).toMatchObject({
        specversion: '1.0',
        id: d.id,
        type: JOB_COMPLETED,
        source: 'http://localhost:7071',
        subject: `jobs/${job.id}`,
        data: {
          id: job.id,
          status: 'succeeded',
          total: 0,
          resultsUrl: `http://localhost:7071/api/jobs/${job.id}/results`,
          exports: { jsonl: `jobs/${job.id}.jsonl`, csv: `jobs/${job.id}.csv` },
        },
      });
    }
  });

  it('a receiver that is down is owed the events in a message of their own, invisible for the first retry step', async () => {
    const services = servicesWith({ webhook: webhookConfig(), perResult: true });
    receiver.failUntil(Date.now() + 60_000, 503);
    const outcome = await deliverEvents(services, { facts: [{ kind: 'result', result: result('down') }] });
    expect(outcome).toEqual({ delivered: 0, retrying: { webhook: 1 }, poisoned: {} });
    // Invisible for the first step of the schedule: nothing to receive now, one message waiting.
    expect(await drain(services, storageNames.eventsQueue)).toEqual([]);
    expect(await queueLength(services, storageNames.eventsQueue)).toBe(1);
    expect(RETRY_SCHEDULE_S[0]).toBe(10);

    receiver.failUntil(0);
    // The message that comes back when it is visible again (test/functions/events.test.ts waits
    // for the real schedule through the app): the fact, for this sink, one attempt made.
    const again: EventsMessage = {
      facts: [{ kind: 'result', result: result('down') }],
      sinks: ['webhook'],
      attempts: 1,
      firstAttemptAt: new Date().toISOString(),
    };
    const before = receiver.accepted().length;
    expect(await deliverEvents(services, parseEventsMessage(again))).toEqual({
      delivered: 1,
      retrying: {},
      poisoned: {},
    });
    const [delivered] = receiver.accepted().slice(before);
    expect(delivered.event).toMatchObject({
      type: RESULT_COMPLETED,
      id: 'result/down/2026-12-03T10:00:00.000Z',
    });
    expect(delivered.signatureValid).toBe(true);
  });

  it('a refusal (400) or 24 hours of failures puts the events on events-poison with the reason', async () => {
    const services = servicesWith({ webhook: webhookConfig(), perResult: true });
    receiver.failUntil(Date.now() + 60_000, 400);
    expect(await deliverEvents(services, { facts: [{ kind: 'result', result: result('refused') }] })).toEqual(
      {
        delivered: 0,
        retrying: {},
        poisoned: { webhook: 1 },
      },
    );
    receiver.failUntil(Date.now() + 60_000, 503);
    const dayAgo = new Date(Date.now() - 25 * 3600 * 1000).toISOString();
    await deliverEvents(services, {
      facts: [{ kind: 'result', result: result('late') }],
      attempts: 30,
      firstAttemptAt: dayAgo,
    });
    receiver.failUntil(0);
    expect(await queueLength(services, storageNames.eventsQueue)).toBe(0);
    const poison = await drain(services, storageNames.eventsPoisonQueue);
    expect(
      poison.map((p) => [p.facts.map((f) => (f.kind === 'result' ? f.result.id : f.jobId)), p.reason]),
    ).toEqual([
      [['refused'], 'webhook: the webhook answered 400'],
      [
        ['late'],
        expect.stringMatching(
          /^webhook: not delivered in 24 hours \(31 attempts\); last: the webhook answered 503/,
        ),
      ],
    ]);
  });

  it('the replay sends poisoned events again, to every sink, with a fresh schedule and the same ids', async () => {
    const services = servicesWith({ webhook: webhookConfig(), perResult: true });
    receiver.failUntil(Date.now() + 60_000, 410);
    await deliverEvents(services, { facts: [{ kind: 'result', result: result('gone') }] });
    receiver.failUntil(0);
    expect(await replayEventsPoison(services.storage)).toEqual({ replayed: ['result/gone'], unreadable: 0 });
    expect(await queueLength(services, storageNames.eventsPoisonQueue)).toBe(0);
    const [message] = await drain(services, storageNames.eventsQueue);
    expect(message).toEqual({ facts: [{ kind: 'result', result: result('gone') }] });
    const before = receiver.accepted().length;
    await deliverEvents(services, parseEventsMessage(message));
    expect(
      receiver
        .accepted()
        .slice(before)
        .map((d) => d.id),
    ).toEqual(['result/gone/2026-12-03T10:00:00.000Z']);
  });
});
