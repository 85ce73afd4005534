/**
 * Operating the app after things went wrong, and retention:
 * - every download failing (STORAGE_FAULTS) sends images to `classify-poison` after 5 attempts,
 *   marked failed; GET /api/admin/failures shows them; after the fix, `classify replay-poison`
 *   moves them back and they succeed;
 * - DELETE /api/results/{id} removes the upload, its JSON and its row;
 * - cleanupExpired deletes expired uploads and results, never drop-folder originals.
 */
import { main as cli } from '../../src/cli/main';
import type { FailureReport } from '../../src/lib/admin/failureReport';
import type { ReplayPoisonResult } from '../../src/lib/admin/replayPoison';
import { cleanupExpired } from '../../src/lib/retention/cleanupExpired';
import { retentionFromEnv } from '../../src/lib/retention/retentionConfig';
import { terminalResult, upload } from '../support/api';
import * as img from '../support/images';
import { eventually } from '../support/stack';
import { resultBlobsWritten, useLocalStack } from '../support/stack';
import { photos } from './support/uploads';

const stack = useLocalStack({ env: { LOCAL_QUEUE_LEASE_SECONDS: '3' } });

async function poisonCount(): Promise<number> {
  const q = stack.queues().getQueueClient('classify-poison');
  return (await q.exists()) ? ((await q.getProperties()).approximateMessagesCount ?? 0) : 0;
}

describe('poison, failure report and replay', () => {
  it('reports images that exhausted their attempts and replays them after the fix', async () => {
    await stack.killApp();
    await stack.startApp({ STORAGE_FAULTS: 'fail:1:blob:GET' }); // every image download fails
    const tickets = await Promise.all(photos(2, 240).map((p) => upload(stack.url, p.name, p.bytes)));
    const failed = await Promise.all(tickets.map((t) => terminalResult(t.statusUrl, 60_000)));
    for (const r of failed)
      expect(r).toMatchObject({
        status: 'failed',
        error: { code: 'internal_error', message: expect.stringMatching(/Gave up after 5 attempts/) },
      });
    await eventually('both messages in poison', async () => ((await poisonCount()) === 2 ? true : undefined));

    const report = (await (await fetch(`${stack.url}/api/admin/failures`)).json()) as FailureReport;
    expect(report).toMatchObject({
      failed: 2,
      byCode: { internal_error: { count: 2 } },
      poison: { 'classify-poison': 2 },
    });
    expect(report.byCode.internal_error!.ids.sort()).toEqual(tickets.map((t) => t.id).sort());
    expect(report.oldestFailure?.id).toEqual(expect.any(String));

    await stack.killApp();
    await stack.startApp(); // the fix
    const out: string[] = [];
    const write = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk) => (out.push(String(chunk)), true));
    const code = await cli(['replay-poison', '--api', stack.url]).finally(() => write.mockRestore());
    expect(code).toBe(0);
    const printed = JSON.parse(out.join('')) as { replay: ReplayPoisonResult };
    expect(printed.replay.replayed.sort()).toEqual(tickets.map((t) => t.id).sort());
    for (const t of tickets) {
      await eventually(
        'the replayed image to succeed',
        async () => {
          // The app restarted on a new port: the ticket's statusUrl points at the old one.
          const r = (await (await fetch(`${stack.url}/api/results/${t.id}`)).json()) as { status: string };
          return r.status === 'succeeded' ? r : undefined;
        },
        30_000,
      );
    }
    expect(await poisonCount()).toBe(0);
    expect(await (await fetch(`${stack.url}/api/admin/failures`)).json()).toMatchObject({
      failed: 0,
      byCode: {},
    });
  }, 120_000);
});

describe('DELETE /api/results/{id}', () => {
  it('removes the upload bytes, the result JSON and the row; a second DELETE is 404', async () => {
    const ticket = await upload(stack.url, 'gone.jpg', await img.catAs('jpeg'));
    await terminalResult(ticket.statusUrl);
    const blobs = stack.blobs();
    const bytes = blobs.getContainerClient('uploads').getBlobClient(ticket.id);
    const json = blobs.getContainerClient('results').getBlobClient(`uploads/${ticket.id}.json`);
    // Written just after the row turns terminal: a DELETE in between would leave it behind.
    await eventually('the JSON blob', async () => ((await json.exists()) ? true : undefined));
    expect(await bytes.exists()).toBe(true);
    const del = await fetch(ticket.statusUrl, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect([await bytes.exists(), await json.exists()]).toEqual([false, false]);
    expect((await fetch(ticket.statusUrl)).status).toBe(404);
    expect((await fetch(ticket.statusUrl, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses drop-folder result ids, which are derived from a path (400)', async () => {
    const res = await fetch(`${stack.url}/api/results/b-${'0'.repeat(40)}`, { method: 'DELETE' });
    expect(res.status).toBe(400);
  });
});

describe('retention', () => {
  it('reads its settings with defaults 7 and 30 days', () => {
    expect(retentionFromEnv()).toEqual({ uploadsDays: 7, resultsDays: 30 });
    process.env.RETENTION_DAYS_UPLOADS = 'soon';
    expect(() => retentionFromEnv()).toThrow(
      /Expected a positive number for RETENTION_DAYS_UPLOADS but received 'soon'\. Fix or unset RETENTION_DAYS_UPLOADS\./,
    );
    delete process.env.RETENTION_DAYS_UPLOADS;
  });

  it('deletes expired uploads and results page by page, and keeps drop-folder originals', async () => {
    const ticket = await upload(stack.url, 'old.jpg', await img.catAs('jpeg'));
    await terminalResult(ticket.statusUrl);
    const dropped = stack.blobs().getContainerClient('images').getBlockBlobClient('keep/cat.jpg');
    await dropped.uploadData(await img.catAs('jpeg'));
    const blobUrl = `${stack.url}/api/results?blob=images/keep/cat.jpg`;
    await terminalResult(blobUrl);
    // Both JSON blobs are written just after their rows: a sweep between would miss them.
    expect(await resultBlobsWritten(stack, 'images/keep/', 1)).toEqual(['images/keep/cat.jpg.json']);
    expect(await resultBlobsWritten(stack, `uploads/${ticket.id}`, 1)).toEqual([`uploads/${ticket.id}.json`]);

    // Nothing is old yet.
    expect(await cleanupExpired(stack.services(), { pageSize: 2 })).toEqual({
      uploadsDeleted: 0,
      resultsDeleted: 0,
    });
    // 31 days later: past both time-to-lives.
    const later = new Date(Date.now() + 31 * 24 * 3600 * 1000);
    const swept = await cleanupExpired(stack.services(), { now: later, pageSize: 2 });
    expect(swept.uploadsDeleted).toBeGreaterThanOrEqual(1);
    expect(swept.resultsDeleted).toBeGreaterThanOrEqual(2);
    expect((await fetch(ticket.statusUrl)).status).toBe(404);
    expect((await fetch(blobUrl)).status).toBe(404);
    expect(await dropped.exists()).toBe(true); // the owner's original stays
    expect(await stack.blobs().getContainerClient('uploads').getBlobClient(ticket.id).exists()).toBe(false);
    const left: string[] = [];
    for await (const b of stack.blobs().getContainerClient('results').listBlobsFlat()) left.push(b.name);
    expect(left).toEqual([]);
  }, 60_000);
});
