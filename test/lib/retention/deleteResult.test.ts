/**
 * DELETE of a result removes everything it names, against Azurite alone (no app): the row, its
 * JSON blob, what the content index learnt from it, and its copy in its job's results; also
 * when it comes while the worker is still storing those (row, then JSON blob, then job copy).
 */
import { newJob } from '../../../src/lib/jobs/job';
import { zeroTimings, type ClassificationResult } from '../../../src/lib/results/result';
import { deleteResult } from '../../../src/lib/retention/deleteResult';
import { createServices } from '../../../src/lib/services';
import { createStorageClients } from '../../../src/lib/storage/clients';
import { createUpload } from '../../../src/lib/uploads/createUpload';
import { processBlob } from '../../../src/lib/worker/processBlob';
import type { BlobWork } from '../../../src/lib/worker/work';
import { resultJson, version, work, workOptions } from '../../support/handBlobs';
import * as img from '../../support/images';
import { eventually } from '../../support/stack';
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

  /**
   * Has a worker whose storage calls matching `faults` stall store the result of `work`, and
   * DELETEs it as soon as its row is terminal (while the worker is still storing the rest).
   */
  async function deleteWhileStoring(work: BlobWork, faults: string): Promise<void> {
    const slowWriter = createServices({
      storage: createStorageClients({ AzureWebJobsStorage: env.connectionString, STORAGE_FAULTS: faults }),
    });
    try {
      const worked = processBlob(slowWriter, work, { ...workOptions(), claimant: 'w', lastAttempt: false });
      await eventually('the row to turn terminal', async () => {
        const record = await env.services.results.get(work.id);
        return record?.result.status === 'succeeded' ? true : undefined;
      });
      expect(await deleteResult(env.services, work.id)).toBe(true);
      expect((await worked).outcome).toBe('succeeded');
      expect(await env.services.results.get(work.id)).toBeUndefined();
    } finally {
      await slowWriter.models.close();
    }
  }

  it('leaves no JSON blob behind when it comes just before the worker writes it', async () => {
    // The worker's blob writes (the JSON, a PUT) each take 1.5 s: its row is terminal that long
    // before the JSON blob exists.
    const name = `deleted-early-${Date.now()}.png`;
    const w = work(name, await version(env.services.storage.blobs, name, img.photo(img.CAT)));
    await deleteWhileStoring(w, 'stall=1500:1:blob:PUT');
    await expect(resultJson(env.services.storage.blobs, name)).rejects.toMatchObject({ statusCode: 404 });
  }, 60_000);

  it('leaves no job copy behind when it comes just before the worker counts a job upload', async () => {
    const job = newJob({ kind: 'upload', total: 1, listingComplete: true });
    await env.services.jobs.create(job);
    const bytes = img.photo(img.CAT);
    const ticket = await createUpload(
      env.services,
      { fileName: 'cat.png', contentType: 'image/png', size: bytes.length, jobId: job.id },
      { baseUrl: 'http://localhost' },
    );
    const uploaded = env.services.storage.blobs.getContainerClient('uploads').getBlockBlobClient(ticket.id);
    await uploaded.uploadData(bytes);
    const blob = { container: 'uploads', name: ticket.id, etag: (await uploaded.getProperties()).etag };
    // The JSON blob write and the job count (a table transaction, a POST) take 1.5 s each.
    await deleteWhileStoring(
      { id: ticket.id, blob, size: bytes.length, since: new Date().toISOString() },
      'stall=1500:1:blob:PUT,stall=1500:1:table:POST',
    );
    expect(await env.services.jobs.countedResult(job.id, ticket.id)).toBeUndefined();
  }, 60_000);
});
