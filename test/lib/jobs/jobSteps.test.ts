/** Job steps that cannot succeed end their job with the reason, instead of leaving it running. */
import { newJobId, type Job } from '../../../src/lib/jobs/job';
import { createJob as insertJob, getJob } from '../../../src/lib/jobs/jobStore';
import { runJobStep } from '../../../src/lib/jobs/runJobStep';
import { useLocalStack } from '../../support/stack';

useLocalStack();

async function runningJob(container: string): Promise<Job> {
  const job: Job = {
    id: newJobId(),
    kind: 'listing',
    container,
    prefix: '',
    dryRun: false,
    pageSize: 100,
    status: 'running',
    total: 0,
    succeeded: 0,
    failed: 0,
    reused: 0,
    listedPages: 0,
    listingComplete: false,
    startedAt: new Date().toISOString(),
  };
  await insertJob(job);
  return job;
}

describe('job steps', () => {
  it('fails the job at once when its container was deleted mid-listing', async () => {
    const job = await runningJob(`gone-${Date.now()}`);
    expect(await runJobStep({ kind: 'list', jobId: job.id, page: 1 })).toMatch(/^stopped/);
    expect((await getJob(job.id))!.job).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/was deleted while the job was being listed/) as unknown,
    });
  });

  it('fails the job when a listing page fails on its last attempt', async () => {
    const job = await runningJob('images');
    // Page 3 before pages 1 and 2: an error on every attempt.
    const step = { kind: 'list' as const, jobId: job.id, page: 3 };
    await expect(runJobStep(step, { lastAttempt: false })).rejects.toThrow(/came too early/);
    expect((await getJob(job.id))!.job.status).toBe('running');
    await expect(runJobStep(step, { lastAttempt: true })).rejects.toThrow(/came too early/);
    expect((await getJob(job.id))!.job).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/Listing page 3 failed on every attempt/) as unknown,
    });
  });
});
