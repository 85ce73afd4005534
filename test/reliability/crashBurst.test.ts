/**
 * kill -9 of the app during a burst of browser-style uploads (POST /api/uploads, then PUT to
 * the SAS URL). test/functions/crash.test.ts kills it mid-classification of drop-folder
 * blobs; here it dies while tickets are being issued and blobs are arriving, so some blobs
 * land while no app is running. Every accepted upload still ends with exactly one result.
 */
import type { UploadTicket } from '../../src/lib/uploads/createUpload';
import { eventually } from '../support/stack';
import { resultBlobsWritten, resultRows, useLocalStack } from '../support/stack';
import { photos, resilientUpload } from './support/uploads';

const stack = useLocalStack({ env: { LOCAL_QUEUE_LEASE_SECONDS: '3' } });
const COUNT = 40;

describe('kill -9 during a burst of uploads', () => {
  it('gives every accepted upload exactly one terminal result after restart', async () => {
    const files = photos(COUNT, 100);
    let done = 0;
    let appUrl = stack.url;
    const uploads = files.map(async (f, i) => {
      await new Promise((r) => setTimeout(r, i * 40)); // a burst, not one instant
      const ticket = await resilientUpload(() => appUrl, f.name, f.bytes, 90_000);
      done++;
      return ticket;
    });
    await eventually('a third of the uploads to be in', async () => (done >= COUNT / 3 ? true : undefined));
    await stack.killApp('SIGKILL');
    const inWhenKilled = done;
    await new Promise((r) => setTimeout(r, 1000));
    await stack.startApp();
    appUrl = stack.url;
    const tickets: UploadTicket[] = await Promise.all(uploads);
    expect(inWhenKilled).toBeLessThan(COUNT); // the crash really happened mid-burst

    const ids = new Set(tickets.map((t) => t.id));
    const rows = await eventually(
      'every accepted upload to end',
      async () => {
        const all = await resultRows(stack);
        const ended = [...ids].filter((id) => ['succeeded', 'failed'].includes(all.get(id)?.status ?? ''));
        return ended.length === ids.size ? all : undefined;
      },
      120_000,
    );
    expect([...ids].map((id) => rows.get(id)?.status)).toEqual([...ids].map(() => 'succeeded'));
    // Exactly one JSON result per accepted upload, and none for anything else.
    expect(await resultBlobsWritten(stack, 'uploads/', ids.size)).toEqual(
      [...ids].map((id) => `uploads/${id}.json`).sort(),
    );
  }, 200_000);
});
