/**
 * Jobs without the app's worker in the loop: a job either runs or was never there, whatever
 * fails between its two writes; steps that cannot succeed end their job with the reason; counts
 * follow a replay (a failed image that succeeds is recounted, a success whose count was lost is
 * counted, a cancelled job takes nothing back).
 */
import { RestError, TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { createJob } from '../../../src/lib/jobs/createJob';
import { decodeQueueMessage } from '../../../src/lib/queue/encoding';
import { createServices } from '../../../src/lib/services';
import { createStorageClients } from '../../../src/lib/storage/clients';
import { replayPoison } from '../../../src/lib/admin/replayPoison';
import { jobImageResultId, newJob, type Job } from '../../../src/lib/jobs/job';
import { encodeQueueMessage } from '../../../src/lib/queue/encoding';
import { zeroTimings, type ClassificationResult } from '../../../src/lib/results/result';
import { storageNames } from '../../../src/lib/storage/names';
import { runJobStep } from '../../../src/lib/jobs/runJobStep';
import { useServices } from '../../support/services';

const env = useServices();

async function runningJob(container: string, extra: Partial<Job> = {}): Promise<Job> {
  const job = newJob({ kind: 'listing', container, prefix: '', pageSize: 100, ...extra });
  await env.services.jobs.create(job);
  return job;
}

/** The job ids of the `jobs` table's rows, and of the `jobs` queue's messages. */
async function jobsWritten(): Promise<{ rows: Set<string>; steps: Set<string> }> {
  const rows = new Set<string>();
  for await (const e of env.services.storage.table(storageNames.jobsTable).listEntities())
    rows.add(e.partitionKey as string);
  const { peekedMessageItems } = await env.services.storage.queues
    .getQueueClient(storageNames.jobsQueue)
    .peekMessages({ numberOfMessages: 32 });
  const steps = new Set(
    peekedMessageItems.map((m) => (decodeQueueMessage(m.messageText) as { jobId: string }).jobId),
  );
  return { rows, steps };
}

describe('creating a job', () => {
  const request = {
    kind: 'listing' as const,
    container: 'images',
    prefix: 'none/',
    dryRun: false,
    pageSize: 100,
    maxFailures: 0,
  };

  it('leaves no job behind when its first step cannot be queued, even if marking it failed would fail too', async () => {
    // A crash between the two writes looks the same: nothing after the first write happens.
    const faulty = createServices({
      storage: createStorageClients({
        AzureWebJobsStorage: env.connectionString,
        STORAGE_FAULTS: 'fail:1:queue:POST,fail:1:table:PUT',
      }),
    });
    const before = await jobsWritten();
    await expect(createJob(faulty, request)).rejects.toThrow();
    expect(await jobsWritten()).toEqual(before);
  });

  it("counts a row whose answer was lost as written, and the job runs (the SDK's retry meets it: 409)", async () => {
    let lost = false;
    const loseFirstInsert: NonNullable<TableServiceClientOptions['additionalPolicies']>[number] = {
      position: 'perRetry',
      policy: {
        name: 'loseFirstInsert',
        async sendRequest(req, next) {
          const response = await next(req);
          if (req.method === 'POST' && !lost) {
            lost = true;
            throw new RestError('socket hang up', { code: 'ECONNRESET', request: req });
          }
          return response;
        },
      },
    };
    const storage = createStorageClients({ AzureWebJobsStorage: env.connectionString });
    const services = createServices({
      storage: {
        ...storage,
        table: (name) =>
          TableClient.fromConnectionString(env.connectionString, name, {
            allowInsecureConnection: true,
            additionalPolicies: [loseFirstInsert],
            retryOptions: { retryDelayInMs: 10, maxRetries: 3 },
          }),
      },
    });
    const job = await createJob(services, request);
    expect(lost).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the step's head start (invisible until then)
    const { rows, steps } = await jobsWritten();
    expect(rows.has(job.id) && steps.has(job.id)).toBe(true);
    expect(await runJobStep(env.services, { kind: 'list', jobId: job.id, page: 1 })).toBe(
      'listed page 1 (0 blobs)',
    );
  });

  it('retries a step that comes before its job row; on its last attempt the job is recorded failed, and a create landing later is refused', async () => {
    for (const [kind, step] of [
      ['listing', (jobId: string) => ({ kind: 'list' as const, jobId, page: 1 })],
      ['upload', (jobId: string) => ({ kind: 'export' as const, jobId })],
    ] as const) {
      const job = newJob({ kind, container: 'images', prefix: 'none/', pageSize: 100 });
      await expect(runJobStep(env.services, step(job.id), { lastAttempt: false })).rejects.toThrow(
        /has no row yet/,
      );
      expect(await runJobStep(env.services, step(job.id), { lastAttempt: true })).toBe(
        'unknown_job: recorded as failed',
      );
      expect((await env.services.jobs.get(job.id))!.job).toMatchObject({
        status: 'failed',
        reason: expect.stringMatching(/creation did not finish/) as unknown,
      });
      await expect(env.services.jobs.create(job)).rejects.toThrow(/submit it again/);
      expect((await env.services.jobs.get(job.id))!.job.status).toBe('failed');
    }
  });

  it('runs the step as usual when the row lands just before its last attempt gives up', async () => {
    const job = newJob({ kind: 'listing', container: 'images', prefix: 'none/', pageSize: 100 });
    await env.services.jobs.create(job);
    expect(
      await runJobStep(env.services, { kind: 'list', jobId: job.id, page: 1 }, { lastAttempt: true }),
    ).toMatch(/^listed page 1/);
  });
});

describe('job steps', () => {
  it('fails the job at once when its container was deleted mid-listing', async () => {
    const job = await runningJob(`gone-${Date.now()}`);
    expect(await runJobStep(env.services, { kind: 'list', jobId: job.id, page: 1 })).toMatch(/^stopped/);
    expect((await env.services.jobs.get(job.id))!.job).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/was deleted while the job was being listed/) as unknown,
    });
  });

  it('fails the job when a listing page fails on its last attempt', async () => {
    const job = await runningJob('images');
    // Page 3 before pages 1 and 2: an error on every attempt.
    const step = { kind: 'list' as const, jobId: job.id, page: 3 };
    await expect(runJobStep(env.services, step, { lastAttempt: false })).rejects.toThrow(/came too early/);
    expect((await env.services.jobs.get(job.id))!.job.status).toBe('running');
    await expect(runJobStep(env.services, step, { lastAttempt: true })).rejects.toThrow(/came too early/);
    expect((await env.services.jobs.get(job.id))!.job).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/Listing page 3 failed on every attempt/) as unknown,
    });
  });
});

function jobImage(
  job: Job,
  name: string,
  status: 'succeeded' | 'failed',
  code?: string,
): ClassificationResult {
  return {
    id: jobImageResultId(job.id, job.container!, name),
    status,
    source: { name },
    model: { id: 'm', sha256: 'abc' },
    ...(status === 'succeeded'
      ? { predictions: [{ label: 'tabby, tabby cat', classIndex: 281, score: 0.9 }] }
      : { error: { code: code as 'internal_error', message: 'Gave up after 5 attempts.' } }),
    timings: zeroTimings(),
    createdAt: new Date().toISOString(),
    completedAt: new Date().toISOString(),
    jobId: job.id,
  };
}

async function poisoned(job: Job, names: string[]): Promise<void> {
  const poison = env.services.storage.queues.getQueueClient(storageNames.classifyPoisonQueue);
  await poison.createIfNotExists();
  const images = names.map((blob) => ({ resultId: jobImageResultId(job.id, job.container!, blob), blob }));
  const message = {
    kind: 'job',
    jobId: job.id,
    container: job.container,
    images,
    enqueuedAt: new Date().toISOString(),
  };
  await poison.sendMessage(encodeQueueMessage(message));
}

describe('counts after a replay', () => {
  it('recounts an image counted failed that succeeds after a replay, and keeps its new copy', async () => {
    const job = await runningJob('images', { total: 1, listedPages: 1, listingComplete: true });
    await env.services.jobCounter.record(jobImage(job, 'a.jpg', 'failed', 'internal_error'));
    expect((await env.services.jobs.get(job.id))!.job).toMatchObject({ succeeded: 0, failed: 1 });
    await env.services.jobCounter.record(jobImage(job, 'a.jpg', 'succeeded'));
    expect((await env.services.jobs.get(job.id))!.job).toMatchObject({
      succeeded: 1,
      failed: 0,
      status: 'succeeded',
    });
    const [page] = await collect(env.services.jobs.listResults(job.id));
    expect(page.results.map((r) => r.status)).toEqual(['succeeded']);
    // A redelivery of the same success changes nothing.
    await env.services.jobCounter.record(jobImage(job, 'a.jpg', 'succeeded'));
    expect((await env.services.jobs.get(job.id))!.job).toMatchObject({ succeeded: 1, failed: 0 });
  });

  it('counts, on replay, an image whose row succeeded but whose count was lost', async () => {
    const job = await runningJob('images', { total: 1, listedPages: 1, listingComplete: true });
    const done = jobImage(job, 'b.jpg', 'succeeded');
    await env.services.results.create(done, { container: 'images', name: 'b.jpg' });
    await poisoned(job, ['b.jpg']);
    const outcome = await replayPoison(env.services);
    expect(outcome.dropped).toContain(done.id);
    expect((await env.services.jobs.get(job.id))!.job).toMatchObject({ succeeded: 1, status: 'succeeded' });
  });

  it('takes nothing back into a cancelled job: its failed image stays failed, not queued', async () => {
    const job = await runningJob('images', {
      total: 2,
      listedPages: 1,
      listingComplete: true,
      status: 'cancelled',
    });
    const failed = jobImage(job, 'c.jpg', 'failed', 'internal_error');
    await env.services.results.create(failed, { container: 'images', name: 'c.jpg' });
    await poisoned(job, ['c.jpg']);
    const outcome = await replayPoison(env.services);
    expect(outcome.dropped).toContain(failed.id);
    expect((await env.services.results.get(failed.id))!.result.status).toBe('failed');
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
