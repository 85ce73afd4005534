/**
 * Storage goes away with work queued: Azurite (on disk, fixed ports) is stopped while the
 * worker is mid-way through drop-folder images, health reports storage down, then Azurite
 * comes back with its data on the same endpoints. Every image ends with exactly one result.
 */
import { eventually } from '../support/stack';
import { resultBlobsWritten, resultRows, useLocalStack } from '../support/stack';
import { photos } from './support/uploads';

const stack = useLocalStack({ persistent: true, env: { LOCAL_QUEUE_LEASE_SECONDS: '3' } });
const COUNT = 40;

describe('Azurite stopped and restarted with work queued', () => {
  it('reports storage down, then finishes every image exactly once', async () => {
    const files = photos(COUNT, 50);
    const container = stack.blobs().getContainerClient('images');
    await Promise.all(files.map((f) => container.getBlockBlobClient(`outage/${f.name}`).uploadData(f.bytes)));
    const succeeded = async (): Promise<number> =>
      [...(await resultRows(stack)).values()].filter((r) => r.status === 'succeeded').length;
    await eventually('a few images to finish', async () => ((await succeeded()) >= 3 ? true : undefined));

    await stack.stopAzurite();
    const health = await eventually('health to report storage down', async () => {
      const res = await fetch(`${stack.url}/api/health`);
      return res.status === 503
        ? ((await res.json()) as { storage: { status: string; message: string } })
        : undefined;
    });
    expect(health.storage).toMatchObject({
      status: 'unavailable',
      message: expect.stringMatching(/Storage did not answer/),
    });
    await new Promise((r) => setTimeout(r, 3000)); // a real outage, not a blip: leases lapse meanwhile
    await stack.startAzurite();

    const rows = await eventually(
      'every image to end',
      async () => {
        const all = await resultRows(stack);
        return [...all.values()].filter((r) => r.status === 'succeeded').length === COUNT ? all : undefined;
      },
      120_000,
    );
    expect(rows.size).toBe(COUNT);
    // The JSON copy is written after its row: one whose write met the outage is rewritten when
    // the event is redelivered (Event Grid's first retry is 10 s later).
    const expected = files.map((f) => `images/outage/${f.name}.json`).sort();
    expect(await resultBlobsWritten(stack, 'images/outage/', expected.length)).toEqual(expected);
    expect((await fetch(`${stack.url}/api/health`)).status).toBe(200);
  }, 200_000);
});
