/**
 * DELETE of a result removes everything it names, against Azurite alone (no app): the row, its
 * JSON blob, what the content index learnt from it, and its copy in its job's results.
 */
import { newJob } from '../../../src/lib/jobs/job';
import { zeroTimings, type ClassificationResult } from '../../../src/lib/results/result';
import { deleteResult } from '../../../src/lib/retention/deleteResult';
import { useServices } from '../../support/services';

const env = useServices();

describe('DELETE of a result', () => {
  it('removes the content index entry it wrote and its copy in its job', async () => {
    const job = newJob({
      kind: 'listing',
      container: 'images',
      total: 1,
      listedPages: 1,
      listingComplete: true,
    });
    await env.services.jobs.create(job);
    const sha256 = 'a'.repeat(64);
    const result: ClassificationResult = {
      id: 'b-' + '1'.repeat(40),
      status: 'succeeded',
      source: { name: 'x.jpg', sha256 },
      model: { id: 'm', sha256: 'abc' },
      predictions: [{ label: 'tabby, tabby cat', classIndex: 281, score: 0.9 }],
      timings: zeroTimings(),
      createdAt: new Date().toISOString(),
      completedAt: new Date().toISOString(),
      jobId: job.id,
    };
    const key = { id: 'm', answer: 'k1' };
    await env.services.results.create(result, { container: 'images', name: 'x.jpg' });
    await env.services.content.remember(result, key);
    await env.services.jobCounter.record(result);
    expect(await env.services.content.find(sha256, key)).toBeDefined();
    expect(await env.services.jobs.countedResult(job.id, result.id)).toBeDefined();

    expect(await deleteResult(env.services, result.id)).toBe(true);
    expect(await env.services.results.get(result.id)).toBeUndefined();
    expect(await env.services.content.find(sha256, key)).toBeUndefined();
    expect(await env.services.jobs.countedResult(job.id, result.id)).toBeUndefined();
  });
});
