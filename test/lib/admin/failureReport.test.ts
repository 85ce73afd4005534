/**
 * failureReport against a real Azurite (its own, so the results table holds only what this file
 * writes): failed results counted by code, complete even where the ids listed are capped, with
 * the oldest of each code and of all; queued or processing rows older than the stuck threshold
 * (and only those); and what waits in the two poison queues.
 */
import { encodeQueueMessage } from '../../../src/lib/queue/encoding';
import { failureReport } from '../../../src/lib/admin/failureReport';
import type { ErrorCode } from '../../../src/lib/errors';
import { zeroTimings, type ClassificationResult, type ResultStatus } from '../../../src/lib/results/result';
import { storageNames } from '../../../src/lib/storage/names';
import { useServices } from '../../support/services';

const env = useServices();
const NOW = new Date('2030-06-01T12:00:00.000Z');
const minutesAgo = (m: number): string => new Date(NOW.getTime() - m * 60_000).toISOString();

let n = 0;
async function row(
  status: ResultStatus,
  createdMinutesAgo: number,
  failure?: { code: ErrorCode; at: string },
) {
  const id = `b-${String(++n).padStart(40, '0')}`;
  const result: ClassificationResult = {
    id,
    status,
    source: { name: `${id}.png` },
    model: { id: 'm', sha256: 'abc' },
    timings: zeroTimings(),
    createdAt: minutesAgo(createdMinutesAgo),
    ...(failure ? { error: { code: failure.code, message: 'No.' }, completedAt: failure.at } : {}),
    ...(status === 'succeeded' ? { completedAt: minutesAgo(createdMinutesAgo - 1) } : {}),
  };
  await env.services.results.create(result, { container: 'images', name: `${id}.png` });
  return id;
}

let ids: Record<string, string>;
beforeAll(async () => {
  ids = {
    corruptNew: await row('failed', 30, { code: 'corrupt_image', at: minutesAgo(5) }),
    corruptOld: await row('failed', 300, { code: 'corrupt_image', at: minutesAgo(200) }),
    corruptMid: await row('failed', 100, { code: 'corrupt_image', at: minutesAgo(50) }),
    internal: await row('failed', 900, { code: 'internal_error', at: minutesAgo(800) }),
    succeeded: await row('succeeded', 600),
    stuckQueued: await row('queued', 60),
    stuckProcessing: await row('processing', 16),
    freshQueued: await row('queued', 14),
    awaiting: await row('awaiting_upload', 600),
  };
  const queues = env.services.storage.queues;
  for (const text of ['a', 'b', 'c'])
    await queues.getQueueClient(storageNames.classifyPoisonQueue).sendMessage(text);
  await queues.getQueueClient(storageNames.jobsPoisonQueue).sendMessage('d');
});

describe('failureReport', () => {
  it('counts failed results by code, with their ids and the oldest of each and of all', async () => {
    const report = await failureReport(env.services, { now: NOW });
    expect(report.failed).toBe(4);
    expect(report.byCode).toEqual({
      corrupt_image: {
        count: 3,
        ids: expect.arrayContaining([ids.corruptNew, ids.corruptOld, ids.corruptMid]) as unknown,
        oldest: { id: ids.corruptOld, completedAt: minutesAgo(200) },
      },
      internal_error: {
        count: 1,
        ids: [ids.internal],
        oldest: { id: ids.internal, completedAt: minutesAgo(800) },
      },
    });
    expect(report.oldestFailure).toEqual({
      id: ids.internal,
      code: 'internal_error',
      completedAt: minutesAgo(800),
    });
  });

  it('keeps counts complete while listing at most idsPerCode ids', async () => {
    const report = await failureReport(env.services, { now: NOW, idsPerCode: 1 });
    expect(report.byCode.corrupt_image).toMatchObject({ count: 3, oldest: { id: ids.corruptOld } });
    expect(report.byCode.corrupt_image!.ids).toHaveLength(1);
    expect(report.stuck.count).toBe(2);
    expect(report.stuck.ids).toHaveLength(1);
  });

  it('reports queued or processing rows older than 15 minutes as stuck, and no others', async () => {
    const report = await failureReport(env.services, { now: NOW });
    expect(report.stuck.count).toBe(2);
    expect(report.stuck.ids.sort()).toEqual([ids.stuckQueued, ids.stuckProcessing].sort());
    // A longer threshold leaves only the hour-old row.
    const patient = await failureReport(env.services, { now: NOW, stuckAfterMs: 30 * 60_000 });
    expect(patient.stuck).toEqual({ count: 1, ids: [ids.stuckQueued] });
  });

  it('counts what waits in every poison queue, and answers 0 for a poison queue that does not exist', async () => {
    await env.services.storage.queues.getQueueClient(storageNames.eventsPoisonQueue).sendMessage(
      encodeQueueMessage({
        facts: [{ kind: 'job', jobId: 'j' }],
        reason: 'webhook: the webhook answered 410',
      }),
    );
    const report = await failureReport(env.services, { now: NOW });
    expect(report.poison).toEqual({ 'classify-poison': 3, 'jobs-poison': 1, 'events-poison': 1 });
    await env.services.storage.queues.getQueueClient(storageNames.jobsPoisonQueue).delete();
    try {
      expect((await failureReport(env.services, { now: NOW })).poison).toEqual({
        'classify-poison': 3,
        'jobs-poison': 0,
        'events-poison': 1,
      });
    } finally {
      await env.services.storage.queues.getQueueClient(storageNames.jobsPoisonQueue).create();
    }
  });
});
