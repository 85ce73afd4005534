/**
 * Storage calls that fail or stall, injected at the client layer (STORAGE_FAULTS, see
 * src/lib/storage/faults.ts): 5% of table and queue calls fail with 503 after the SDK's own
 * retries, and 20% of blob downloads stall for 2 s. The queue's retries absorb it: every
 * accepted upload ends with exactly one terminal result and nothing is lost or doubled.
 */
import { parseStorageFaults } from '../../src/lib/storage/faults';
import type { UploadTicket } from '../../src/lib/uploads/createUpload';
import { eventually } from '../support/stack';
import { resultBlobsWritten, resultRows, useLocalStack } from '../support/stack';
import { photos, resilientUpload } from './support/uploads';

const FAULTS = 'fail:0.05:table,fail:0.05:queue,stall=2000:0.2:blob:GET';
const stack = useLocalStack({ env: { STORAGE_FAULTS: FAULTS, LOCAL_QUEUE_LEASE_SECONDS: '10' } });
const COUNT = 30;

describe('STORAGE_FAULTS', () => {
  it('parses faults and refuses a malformed entry', () => {
    expect(parseStorageFaults(FAULTS)).toEqual([
      { action: 'fail', stallMs: 0, fraction: 0.05, service: 'table', method: undefined },
      { action: 'fail', stallMs: 0, fraction: 0.05, service: 'queue', method: undefined },
      { action: 'stall', stallMs: 2000, fraction: 0.2, service: 'blob', method: 'GET' },
    ]);
    expect(parseStorageFaults(undefined)).toEqual([]);
    expect(() => parseStorageFaults('fail:2:table')).toThrow(/STORAGE_FAULTS entry "fail:2:table"/);
  });

  it('with failing and stalling storage calls, every accepted upload ends exactly once', async () => {
    const tickets: UploadTicket[] = await Promise.all(
      photos(COUNT, 150).map((f) => resilientUpload(() => stack.url, f.name, f.bytes)),
    );
    const ids = tickets.map((t) => t.id);
    const rows = await eventually(
      'every upload to end',
      async () => {
        const all = await resultRows(stack);
        return ids.every((id) => ['succeeded', 'failed'].includes(all.get(id)?.status ?? ''))
          ? all
          : undefined;
      },
      150_000,
    );
    const statuses = ids.map((id) => rows.get(id)!.status);
    // A failure here may only be internal_error after 5 attempts, never a bad-image code.
    for (const id of ids.filter((id) => rows.get(id)!.status === 'failed'))
      expect(JSON.parse(rows.get(id)!.error!)).toMatchObject({ code: 'internal_error' });
    expect(statuses.filter((s) => s === 'succeeded').length).toBeGreaterThanOrEqual(COUNT - 1);
    expect(await resultBlobsWritten(stack, 'uploads/', ids.length)).toEqual(
      ids.map((id) => `uploads/${id}.json`).sort(),
    );
    expect(stack.output).toMatch(/Injected storage fault/); // the faults really fired
  }, 200_000);
});
