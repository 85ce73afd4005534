/**
 * The `results` table's one owner, against Azurite alone (no app): rows round-trip with their
 * version and claim, the plain filter columns are there, listings page through the one
 * decoder, and deletes are idempotent.
 */
import { RestError, TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { createStorageClients } from '../../../src/lib/storage/clients';
import { ResultStore } from '../../../src/lib/results/resultStore';
import { asFailed, zeroTimings, type ClassificationResult } from '../../../src/lib/results/result';
import { ClassifierError } from '../../../src/lib/errors';
import { useServices } from '../../support/services';

const env = useServices();

const result = (id: string, extra: Partial<ClassificationResult> = {}): ClassificationResult => ({
  id,
  status: 'processing',
  source: { name: `${id}.jpg` },
  model: { id: 'm', sha256: 'abc' },
  timings: zeroTimings(),
  createdAt: '2026-12-01T00:00:00.000Z',
  ...extra,
});

describe('resultStore', () => {
  it('keeps the blob version and the claim with the row, and only while processing', async () => {
    const blob = { container: 'images', name: 'a.jpg', etag: '"0x1"', sequencer: '0001' };
    const etag = await env.services.results.create(result('r-1'), blob, {
      leaseUntil: '2030-01-01T00:00:00.000Z',
      claimedBy: 'e1',
    });
    expect(etag).toBeDefined();
    expect(await env.services.results.get('r-1')).toMatchObject({
      blob: { container: 'images', name: 'a.jpg', etag: '0x1', sequencer: '0001' },
      leaseUntil: '2030-01-01T00:00:00.000Z',
      claimedBy: 'e1',
    });
    const failed = asFailed(result('r-1'), new ClassifierError('corrupt_image', 'broken'));
    expect(await env.services.results.update(failed, etag!, { blob })).toBeDefined();
    const record = await env.services.results.get('r-1');
    expect(record!.leaseUntil).toBeUndefined();
    expect(record!.claimedBy).toBeUndefined();
    expect(record!.result).toEqual(failed);
    // A stale ETag loses (412): undefined, nothing written.
    expect(await env.services.results.update(result('r-1'), etag!, { blob })).toBeUndefined();
  });

  it('writes the plain columns OData filters use: label, score, errorCode, jobId', async () => {
    const done = result('r-2', {
      status: 'succeeded',
      predictions: [{ label: 'tabby, tabby cat', classIndex: 281, score: 0.7 }],
      jobId: 'job-1',
    });
    await env.services.results.create(done);
    const row = await TableClient.fromConnectionString(env.connectionString, 'results', {
      allowInsecureConnection: true,
    }).getEntity('r-2', 'result');
    expect(row).toMatchObject({ label: 'tabby, tabby cat', score: 0.7, jobId: 'job-1' });
  });

  it('lists by filter, page by page, and deletes idempotently', async () => {
    for (let i = 0; i < 5; i++) await env.services.results.create(result(`list-${i}`, { jobId: 'job-list' }));
    const pages: string[][] = [];
    for await (const page of env.services.results.list({ filter: "jobId eq 'job-list'", pageSize: 2 }))
      pages.push(page.map((r) => r.result.id));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual(['list-0', 'list-1', 'list-2', 'list-3', 'list-4']);
    await env.services.results.delete('list-0');
    await env.services.results.delete('list-0'); // already gone: fine
    expect(await env.services.results.get('list-0')).toBeUndefined();
  });
  it("takes a write whose answer was lost as written when the SDK's retry meets it (409, 412)", async () => {
    // The first create and the first conditional replace reach the table, and then their answer
    // is lost (the connection reset): the SDK's retry policy sends each again, which meets it.
    const lost = new Set<string>();
    const loseFirstAnswer: NonNullable<TableServiceClientOptions['additionalPolicies']>[number] = {
      position: 'perRetry',
      policy: {
        name: 'loseFirstAnswer',
        async sendRequest(request, next) {
          const response = await next(request);
          if (['POST', 'PUT'].includes(request.method) && !lost.has(request.method)) {
            lost.add(request.method);
            throw new RestError('socket hang up', { code: 'ECONNRESET', request });
          }
          return response;
        },
      },
    };
    const storage = createStorageClients({ AzureWebJobsStorage: env.connectionString });
    const store = new ResultStore({
      ...storage,
      table: (name) =>
        TableClient.fromConnectionString(env.connectionString, name, {
          allowInsecureConnection: true,
          additionalPolicies: [loseFirstAnswer],
          retryOptions: { retryDelayInMs: 10, maxRetries: 3 },
        }),
    });
    const blob = { container: 'uploads', name: 'lost-1', etag: '"0x1"', sequencer: '0001' };
    const etag = await store.create(result('lost-1'), blob, {
      leaseUntil: '2030-01-01T00:00:00.000Z',
      claimedBy: 'e1',
    });
    expect(etag).toBeDefined();
    const done: ClassificationResult = {
      ...result('lost-1'),
      status: 'succeeded',
      predictions: [{ label: 'tabby', classIndex: 281, score: 0.9 }],
      completedAt: '2026-12-01T00:00:01.000Z',
    };
    const updated = await store.update(done, etag!, { blob });
    expect(updated).toBeDefined();
    expect(lost).toEqual(new Set(['POST', 'PUT']));
    // The ETag given back is the row's: the next conditional write goes through.
    expect(
      await store.update({ ...done, completedAt: '2026-12-01T00:00:02.000Z' }, updated!, { blob }),
    ).toBeDefined();
    // Someone else's row is still a lost race.
    expect(await store.create(result('lost-1'), blob)).toBeUndefined();
    expect(await store.update(done, etag!, { blob })).toBeUndefined();
  });
});
