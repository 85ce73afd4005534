/**
 * DELETE of a result removes everything it names, against Azurite alone (no app): the row, its
 * JSON blob, what the content index learnt from it, and its copy in its job's results.
 */
import { findKnownContent, rememberContent } from '../../../src/lib/content/contentIndex';
import { newJob } from '../../../src/lib/jobs/job';
import { countedResult, createJob as insertJob } from '../../../src/lib/jobs/jobStore';
import { recordJobOutcome } from '../../../src/lib/jobs/recordOutcome';
import { zeroTimings, type ClassificationResult } from '../../../src/lib/results/result';
import { createResult, getResult } from '../../../src/lib/results/resultStore';
import { deleteResult } from '../../../src/lib/retention/deleteResult';
import { ensureStorage } from '../../../src/lib/storage/ensureStorage';
import { useAzurite } from '../../support/azurite';

const azurite = useAzurite();

beforeAll(async () => {
  process.env.AzureWebJobsStorage = azurite.connectionString;
  await ensureStorage();
});

describe('DELETE of a result', () => {
  it('removes the content index entry it wrote and its copy in its job', async () => {
    const job = newJob({
      kind: 'listing',
      container: 'images',
      total: 1,
      listedPages: 1,
      listingComplete: true,
    });
    await insertJob(job);
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
    await createResult(result, { container: 'images', name: 'x.jpg' });
    await rememberContent(result, key);
    await recordJobOutcome(result);
    expect(await findKnownContent(sha256, key)).toBeDefined();
    expect(await countedResult(job.id, result.id)).toBeDefined();

    expect(await deleteResult(result.id)).toBe(true);
    expect(await getResult(result.id)).toBeUndefined();
    expect(await findKnownContent(sha256, key)).toBeUndefined();
    expect(await countedResult(job.id, result.id)).toBeUndefined();
  });
});
