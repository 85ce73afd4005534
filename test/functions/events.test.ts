// Events out, through the app as npm start runs it, to a webhook receiver on loopback: a job of
// 20 images yields exactly one JobCompleted (by id) with its final counts and a valid
// signature, and one ResultCompleted per result id; also when the app is killed with -9 just
// after the job's last outcome, and when the receiver answers 503 for its first 40 s. The
// last one's job starts first: its 40 s of refusals and Event Grid's retry schedule (10 s, then
// 30 s: about a minute in all) run while the other two do.
import { JOB_COMPLETED, RESULT_COMPLETED } from '../../src/lib/events/cloudEvents';
import { JOB_TERMINAL, type JobView } from '../../src/lib/jobs/job';
import { devPhotos, seed, startJob, table } from '../jobs/jobApi';
import { eventually, useLocalStack } from '../support/stack';
import { startWebhookReceiver, type Delivery, type WebhookReceiver } from '../support/webhookReceiver';

// A crashed attempt's message reappears after 3 s instead of the default lease.
const stack = useLocalStack({ env: { LOCAL_QUEUE_LEASE_SECONDS: '3' } });
let receiver: WebhookReceiver;
let webhookEnv: Record<string, string>;
const COUNT = 20;
/** The job whose events the receiver refuses (503) for 40 s, and until when. */
let downJob: string;
let downUntil: number;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  webhookEnv = {
    CLASSIFIER_EVENTS_WEBHOOK_URL: receiver.url,
    CLASSIFIER_EVENTS_WEBHOOK_SECRET: receiver.secret,
    CLASSIFIER_EVENTS_PER_RESULT: 'true',
  };
  await stack.killApp('SIGTERM');
  await stack.startApp(webhookEnv);
  await seed(stack, 'photos', 'down/', devPhotos(COUNT));
  downJob = await startJob(stack, { container: 'photos', prefix: 'down/' });
  // Long enough for two refusals of its JobCompleted (the job ends within 30 s: tried, then 10 s
  // later), short enough that the third try, 30 s after the second, is taken.
  downUntil = Date.now() + 40_000;
  receiver.failFor(
    (event) => event.subject === `jobs/${downJob}` || event.data.jobId === downJob,
    downUntil,
    503,
  );
}, 120_000);
afterAll(() => receiver.close());

const ofJob = (jobId: string, type: string) => (d: Delivery) =>
  d.event.type === type &&
  (type === JOB_COMPLETED ? d.event.subject === `jobs/${jobId}` : d.event.data.jobId === jobId);

/** The job's JobCompleted deliveries that were accepted, once the job's event has come. */
const jobEvent = (jobId: string, timeoutMs: number): Promise<Delivery[]> =>
  eventually(
    `the JobCompleted event of job ${jobId}`,
    async () => {
      const got = receiver.accepted().filter(ofJob(jobId, JOB_COMPLETED));
      return got.length > 0 ? got : undefined;
    },
    timeoutMs,
  );

/** Everything a subscriber may rely on: one fact per id, signed, the job's final state. */
async function expectEventsOf(jobId: string): Promise<void> {
  const jobDeliveries = await jobEvent(jobId, 60_000);
  // Results counted into the job before its event; their events may still be on their way.
  const resultDeliveries = await eventually(
    `${COUNT} ResultCompleted events of job ${jobId}`,
    async () => {
      const got = receiver.accepted().filter(ofJob(jobId, RESULT_COMPLETED));
      return new Set(got.map((d) => d.event.data.id)).size >= COUNT ? got : undefined;
    },
    60_000,
  );
  expect(new Set(jobDeliveries.map((d) => d.id))).toEqual(new Set([`job/${jobId}/completed`]));
  for (const d of [...jobDeliveries, ...resultDeliveries]) {
    expect(d.signatureValid).toBe(true);
    expect(d.id).toBe(d.event.id);
  }
  const view = jobDeliveries[0].event.data as unknown as JobView;
  expect(view).toMatchObject({
    id: jobId,
    status: 'succeeded',
    total: COUNT,
    succeeded: COUNT,
    failed: 0,
    pending: 0,
  });
  expect(view.resultsUrl).toMatch(new RegExp(`/api/jobs/${jobId}/results$`));
  // Duplicates (a redelivery) carry the same id and the same result.
  const byResult = new Map<string, Set<string>>();
  for (const d of resultDeliveries) {
    const id = String(d.event.data.id);
    byResult.set(id, (byResult.get(id) ?? new Set()).add(d.id));
    expect(d.event.data.status).toBe('succeeded');
  }
  expect(byResult.size).toBe(COUNT);
  expect([...byResult.values()].every((ids) => ids.size === 1)).toBe(true);
}

describe('events out of the app', () => {
  it('a job of 20 images: one JobCompleted with its final counts, one ResultCompleted per result, all signed', async () => {
    await seed(stack, 'photos', 'events/', devPhotos(COUNT));
    const id = await startJob(stack, { container: 'photos', prefix: 'events/' });
    await expectEventsOf(id);
  }, 120_000);

  it('the same when the app is killed with -9 just after the job reaches its end', async () => {
    // Every queue message the app sends waits 4 s first: the kill lands after the job's last
    // outcome is committed and before its export step (and so its event) is queued.
    await stack.killApp('SIGTERM');
    await stack.startApp({ ...webhookEnv, STORAGE_FAULTS: 'stall=4000:1:queue:POST' });
    await seed(stack, 'photos', 'crash/', devPhotos(COUNT));
    const id = await startJob(stack, { container: 'photos', prefix: 'crash/' });
    await eventually(
      'the job to end',
      async () => {
        const row = await table(stack, 'jobs').getEntity<{ status: string }>(id, 'job');
        return JOB_TERMINAL.includes(row.status as JobView['status']) ? row : undefined;
      },
      90_000,
    );
    await stack.killApp('SIGKILL');
    const row = await table(stack, 'jobs').getEntity<{ exportedAt?: string }>(id, 'job');
    expect(row.exportedAt).toBeUndefined();
    expect(receiver.deliveries.filter(ofJob(id, JOB_COMPLETED))).toEqual([]);
    await stack.startApp(webhookEnv);
    await expectEventsOf(id);
  }, 180_000);

  it('a receiver that answers 503 for its first 40 s gets the event afterwards, on the retry schedule', async () => {
    const [first] = await jobEvent(downJob, 150_000);
    expect(first.at).toBeGreaterThanOrEqual(downUntil);
    const refused = receiver.deliveries.filter((d) => d.status === 503 && ofJob(downJob, JOB_COMPLETED)(d));
    expect(refused.length).toBeGreaterThanOrEqual(2); // tried while down, then 10 s later; taken 30 s after that
    await expectEventsOf(downJob);
  }, 200_000);
});
