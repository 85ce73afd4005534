/**
 * A kill -9 of the app in the middle of a job loses and double-counts nothing: after a
 * restart every image has exactly one result and the job's counts are exact.
 */
import { useLocalStack, eventually } from '../support/stack';
import {
  devPhotos,
  getJobView,
  jobEnded,
  jobResults,
  parseJsonl,
  resultRowsOfJob,
  seed,
  startJob,
  table,
} from './jobApi';

// A crashed attempt's message reappears after 3 s instead of the default lease.
const stack = useLocalStack({ env: { LOCAL_QUEUE_LEASE_SECONDS: '3' } });
const COUNT = 150;

describe('a crash of the app mid-job', () => {
  it('ends with one result per image and exact counts after restart', async () => {
    await seed(stack, 'photos', 'crash/', devPhotos(COUNT));
    const id = await startJob(stack, { container: 'photos', prefix: 'crash/', pageSize: 50 });
    await eventually('some images of the job to finish', async () => {
      const job = await getJobView(stack, id);
      return job.succeeded >= 10 ? job : undefined;
    });
    await stack.killApp('SIGKILL');
    const before = await table(stack, 'jobs').getEntity<{ succeeded: number }>(id, 'job');
    expect(before.succeeded).toBeLessThan(COUNT); // the crash really interrupted work

    await stack.startApp();
    const job = await jobEnded(stack, id, 120_000);
    expect(job).toMatchObject({ status: 'succeeded', total: COUNT, succeeded: COUNT, failed: 0, pending: 0 });

    const results = parseJsonl(await jobResults(stack, id, 'jsonl'));
    expect(results).toHaveLength(COUNT);
    expect(new Set(results.map((r) => r.source.name)).size).toBe(COUNT);
    const rows = await resultRowsOfJob(stack, id);
    expect(rows.size).toBe(COUNT);
    expect([...rows.values()].every((s) => s === 'succeeded')).toBe(true);
    let jobRows = 0;
    for await (const row of table(stack, 'jobs').listEntities({
      queryOptions: { filter: `PartitionKey eq '${id}'` },
    }))
      jobRows += row.rowKey === 'job' ? 0 : 1;
    expect(jobRows).toBe(COUNT);
  }, 200_000);
});
