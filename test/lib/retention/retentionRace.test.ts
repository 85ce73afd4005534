/**
 * Retention against Azurite alone (no app): a sweep that listed an old result deletes it only
 * if nothing changed since; a blob written and classified again meanwhile keeps its fresh
 * result and JSON blob.
 */
import { zeroTimings, type ClassificationResult } from '../../../src/lib/results/result';
import { deleteStoredRecord } from '../../../src/lib/retention/deleteResult';
import { useServices } from '../../support/services';

const env = useServices();

const DAY = 24 * 3600 * 1000;

function succeeded(id: string, name: string, completedAt: Date, label: string): ClassificationResult {
  return {
    id,
    status: 'succeeded',
    source: { name },
    model: { id: 'm', sha256: 'abc' },
    predictions: [{ label, classIndex: 0, score: 0.9 }],
    timings: zeroTimings(),
    createdAt: completedAt.toISOString(),
    completedAt: completedAt.toISOString(),
  };
}

const jsonOf = async (name: string): Promise<ClassificationResult | undefined> => {
  const blob = env.services.storage.blobs.getContainerClient('results').getBlobClient(`images/${name}.json`);
  return (await blob.exists())
    ? (JSON.parse((await blob.downloadToBuffer()).toString()) as ClassificationResult)
    : undefined;
};

describe('retention', () => {
  async function oldResult(name: string) {
    const blob = { container: 'images', name, etag: '"0x1"', sequencer: '01' };
    const old = succeeded(`r-${name}`, name, new Date(Date.now() - 40 * DAY), 'old label');
    await env.services.results.create(old, blob);
    await env.services.results.writeBlob(old, blob);
    return { blob, old, listed: (await env.services.results.get(old.id))! };
  }

  it('deletes an expired result that nothing has changed', async () => {
    const { old, listed } = await oldResult('kept-still.jpg');
    expect(await deleteStoredRecord(env.services, listed, { ifUnchanged: true })).toBe(true);
    expect(await env.services.results.get(old.id)).toBeUndefined();
    expect(await jsonOf('kept-still.jpg')).toBeUndefined();
  });

  it('keeps the fresh result of a blob classified again while the sweep walked its old page', async () => {
    const { blob, old, listed } = await oldResult('rewritten.jpg');
    // Meanwhile: the blob is written again and classified; its row and JSON blob are fresh.
    const fresh = succeeded(old.id, 'rewritten.jpg', new Date(), 'fresh label');
    const newBlob = { ...blob, etag: '"0x2"', sequencer: '02' };
    expect(await env.services.results.update(fresh, listed.etag, { blob: newBlob })).toBeTruthy();
    await env.services.results.writeBlob(fresh, newBlob);
    expect(await deleteStoredRecord(env.services, listed, { ifUnchanged: true })).toBe(false);
    expect((await env.services.results.get(old.id))!.result.predictions![0].label).toBe('fresh label');
    expect((await jsonOf('rewritten.jpg'))!.predictions![0].label).toBe('fresh label');
  });
});
