/**
 * A crash (kill -9) of the app with work in flight loses nothing: after a restart every image
 * ends with exactly one terminal result.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { readFileSync } from 'node:fs';
import { SHARED } from '../support/images';
import { eventually, resultBlobsWritten, useLocalStack } from '../support/stack';

const stack = useLocalStack({ env: { LOCAL_QUEUE_LEASE_SECONDS: '3' } });
const DIR = path.join(SHARED, 'datasets/imagenet-photos-dev/images');
const COUNT = 60;

async function statusCounts(): Promise<Record<string, number>> {
  const table = TableClient.fromConnectionString(stack.connectionString, 'results', {
    allowInsecureConnection: true,
  });
  const counts: Record<string, number> = {};
  for await (const row of table.listEntities<{ status: string }>())
    counts[row.status] = (counts[row.status] ?? 0) + 1;
  return counts;
}

describe('a crash of the app mid-batch', () => {
  it('loses no image and classifies each exactly once after restart', async () => {
    const files = readdirSync(DIR).sort().slice(0, COUNT);
    const container = stack.blobs().getContainerClient('images');
    await Promise.all(
      files.map((f) =>
        container.getBlockBlobClient(`crash/${f}`).uploadData(readFileSync(path.join(DIR, f))),
      ),
    );

    await eventually('some but not all images to finish', async () => {
      const done = (await statusCounts()).succeeded ?? 0;
      return done >= 5 ? done : undefined;
    });
    await stack.killApp('SIGKILL');
    const before = await statusCounts();
    expect(before.succeeded ?? 0).toBeLessThan(COUNT); // the crash really interrupted work

    await stack.startApp();
    const after = await eventually(
      'every image to end',
      async () => {
        const counts = await statusCounts();
        return counts.succeeded === COUNT ? counts : undefined;
      },
      90_000,
    );
    expect(after).toEqual({ succeeded: COUNT });
    // One killed between a row and its JSON blob writes the blob when its event is redelivered.
    const jsons = await resultBlobsWritten(stack, 'images/crash/', files.length);
    expect(jsons).toEqual(files.map((f) => `images/crash/${f}.json`).sort());
  }, 180_000);
});
