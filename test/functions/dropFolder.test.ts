/**
 * The drop folder: any blob written to `images` is classified once, readable by its path,
 * with its JSON under results/images/<path>.json. Duplicate events give one result. A blob
 * deleted from it takes its result along (row, JSON blob, search entries), whenever the
 * deletion comes: after the result, during the classification (the worker finding the blob
 * gone, or storing the result), after a rewrite; the name written again gets a fresh result.
 */
import { toBlobCreated } from '../../src/functions/converters/blobCreatedEvent';
import { acceptBlob } from '../../src/lib/intake/acceptBlob';
import { limitsFromEnv } from '../../src/lib/decode/limits';
import { blobResultId } from '../../src/lib/results/ids';
import type { ClassificationResult } from '../../src/lib/results/result';
import { getJson } from '../support/api';
import { blobCreatedEvent } from '../support/events';
import * as img from '../support/images';
import { eventually, useLocalStack } from '../support/stack';

const stack = useLocalStack();

const resultUrl = (path: string): string =>
  `${stack.url}/api/results?blob=${encodeURIComponent(`images/${path}`)}`;

async function terminal(path: string): Promise<ClassificationResult> {
  return eventually(`a result for images/${path}`, async () => {
    const { status, json } = await getJson(resultUrl(path));
    const r = json as ClassificationResult;
    return status === 200 && (r.status === 'succeeded' || r.status === 'failed') ? r : undefined;
  });
}

describe('drop folder', () => {
  it('classifies a blob written with the SDK and names it by its path', async () => {
    const container = stack.blobs().getContainerClient('images');
    await container.getBlockBlobClient('holiday/cat.png').uploadData(img.photo(img.CAT));
    const result = await terminal('holiday/cat.png');
    expect(result).toMatchObject({ status: 'succeeded', source: { name: 'holiday/cat.png' } });
    expect(img.CAT_CLASSES).toContain(result.predictions![0].classIndex);
    // Written just after the row turns terminal.
    const blob = stack.blobs().getContainerClient('results').getBlobClient('images/holiday/cat.png.json');
    const json = await eventually('the JSON blob', () => blob.downloadToBuffer().catch(() => undefined));
    expect(JSON.parse(json.toString())).toEqual(result);
  });

  it('answers 404 before a blob is seen and 400 for a container it does not watch', async () => {
    expect((await getJson(resultUrl('never/written.jpg'))).status).toBe(404);
    const other = await getJson(`${stack.url}/api/results?blob=${encodeURIComponent('results/x.json')}`);
    expect(other).toMatchObject({ status: 400, json: { error: { code: 'bad_request' } } });
  });

  it('classifies a rewritten blob again, and a duplicate event not at all', async () => {
    const blob = stack.blobs().getContainerClient('images').getBlockBlobClient('rewrite.png');
    await blob.uploadData(img.photo('coffee.png'));
    const first = await terminal('rewrite.png');
    expect(first.predictions![0].label).toBe('espresso');

    // A duplicate Event Grid delivery for the same blob version: straight into intake.
    // Event Grid redelivers the same event: same version, same sequencer.
    const props = await blob.getProperties();
    const stored = await stack.services().results.get(first.id);
    const event = blobCreatedEvent({
      container: 'images',
      name: 'rewrite.png',
      etag: props.etag!,
      size: props.contentLength!,
      sequencer: stored!.blob!.sequencer,
    });
    const again = await acceptBlob(stack.services(), toBlobCreated(event, 'images')!, {
      limits: limitsFromEnv(),
      leaseMs: 60_000,
    });
    expect(again.outcome).toBe('duplicate');
    expect(await terminal('rewrite.png')).toEqual(first);

    await blob.uploadData(img.photo(img.CAT));
    const second = await eventually('the rewritten blob to be classified', async () => {
      const r = await terminal('rewrite.png');
      return r.completedAt !== first.completedAt ? r : undefined;
    });
    expect(img.CAT_CLASSES).toContain(second.predictions![0].classIndex);
    expect(second.id).toBe(first.id);
  });
});

/** What is stored for a drop-folder path: its row's status, its JSON blob, its search entries, what GET answers. */
async function stored(path: string) {
  const id = blobResultId('images', path);
  const row = await stack.services().results.get(id);
  const json = await stack
    .blobs()
    .getContainerClient('results')
    .getBlobClient(`images/${path}.json`)
    .exists();
  let search = 0;
  for await (const _ of stack.table('search').listEntities({ queryOptions: { filter: `id eq '${id}'` } }))
    search++;
  return { row: row?.result.status, json, search, get: (await getJson(resultUrl(path))).status };
}

const GONE = { row: undefined, json: false, search: 0, get: 404 };

/**
 * Waits until nothing is stored for `path`, noting every status its row shows meanwhile; then,
 * past anything a late worker may still write and undo (its stalled writes take 2 s at most
 * here), again, and checks that it stays so.
 */
async function expectForgotten(path: string, seen: Set<string | undefined> = new Set()): Promise<void> {
  const gone = () =>
    eventually(`no result left for images/${path}`, async () => {
      const now = await stored(path);
      seen.add(now.row);
      return JSON.stringify(now) === JSON.stringify(GONE) ? true : undefined;
    });
  await gone();
  await new Promise((r) => setTimeout(r, 3000));
  await gone();
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 250));
    expect(await stored(path)).toEqual(GONE);
  }
  // Never recorded as a failure on its way out: a drop-folder blob deleted is not blob_not_found.
  expect(seen.has('failed')).toBe(false);
}

/** Watches the row of `path` from now on (every status it shows), until stopped. */
function watchRow(path: string): { seen: Set<string | undefined>; stop: () => Promise<void> } {
  const seen = new Set<string | undefined>();
  let running = true;
  const loop = (async () => {
    while (running) {
      seen.add((await stack.services().results.get(blobResultId('images', path)))?.result.status);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

const dropFolder = () => stack.blobs().getContainerClient('images');

describe('a blob deleted from the drop folder', () => {
  it('takes its result along once classified: row, JSON blob and search entries, and GET answers 404', async () => {
    const path = 'deleted/classified.png';
    await dropFolder().getBlockBlobClient(path).uploadData(img.photo(img.CAT));
    await terminal(path);
    await eventually('its JSON blob and search entries', async () => {
      const now = await stored(path);
      return now.json && now.search === 2 ? now : undefined;
    });
    expect(await stored(path)).toEqual({ row: 'succeeded', json: true, search: 2, get: 200 });
    await dropFolder().getBlockBlobClient(path).delete();
    await expectForgotten(path);
  });

  it('leaves nothing when deleted a moment after it was written, whatever the worker had done by then', async () => {
    // From before the first listing to during the classification.
    const delays = [0, 100, 250, 400, 600, 900];
    await Promise.all(
      delays.map(async (delay) => {
        const path = `deleted/soon-after-${delay}ms.png`;
        const watch = watchRow(path);
        try {
          await dropFolder().getBlockBlobClient(path).uploadData(img.photo('coffee.png'));
          await new Promise((r) => setTimeout(r, delay));
          await dropFolder().getBlockBlobClient(path).delete();
          await expectForgotten(path, watch.seen);
        } finally {
          await watch.stop();
        }
        expect(watch.seen.has('failed')).toBe(false);
      }),
    );
  });

  it('takes along the result of the blob written again, whether its new version was classified or not', async () => {
    for (const waitForSecond of [true, false]) {
      const path = `deleted/rewritten-${waitForSecond ? 'after' : 'during'}.png`;
      const blob = dropFolder().getBlockBlobClient(path);
      await blob.uploadData(img.photo('coffee.png'));
      const first = await terminal(path);
      await blob.uploadData(img.photo(img.CAT));
      if (waitForSecond)
        await eventually('the new version classified', async () => {
          const r = await terminal(path);
          return r.completedAt !== first.completedAt ? r : undefined;
        });
      await blob.delete();
      await expectForgotten(path);
    }
  });

  it('gives the name written again after its deletion a fresh result of the new bytes', async () => {
    const path = 'deleted/then-written-again.png';
    const blob = dropFolder().getBlockBlobClient(path);
    await blob.uploadData(img.photo('coffee.png'));
    const first = await terminal(path);
    expect(first.predictions![0].label).toBe('espresso');
    await blob.delete();
    await expectForgotten(path);
    await blob.uploadData(img.photo(img.CAT));
    const fresh = await terminal(path);
    expect(fresh).toMatchObject({ status: 'succeeded', source: { name: path } });
    expect(img.CAT_CLASSES).toContain(fresh.predictions![0].classIndex);
    expect(Date.parse(fresh.completedAt!)).toBeGreaterThan(Date.parse(first.completedAt!));
    const json = await eventually('its JSON blob', () =>
      stack
        .blobs()
        .getContainerClient('results')
        .getBlobClient(`images/${path}.json`)
        .downloadToBuffer()
        .catch(() => undefined),
    );
    expect(JSON.parse(json.toString())).toEqual(fresh);
    await eventually('its search entries', async () =>
      (await stored(path)).search === 2 ? true : undefined,
    );
  });
});

describe('a blob deleted from the drop folder while the app works on it', () => {
  // Runs last in this file: the app is restarted with storage calls made slow on purpose.
  afterAll(async () => {
    await stack.killApp('SIGTERM');
    await stack.startApp();
  }, 120_000);

  it('leaves nothing when the worker finds it gone (its read waits 2 s): no blob_not_found result', async () => {
    await stack.killApp('SIGTERM');
    await stack.startApp({ STORAGE_FAULTS: 'stall=2000:1:blob:GET' });
    const path = 'deleted/while-reading.png';
    const watch = watchRow(path);
    try {
      await dropFolder().getBlockBlobClient(path).uploadData(img.photo(img.CAT));
      // Claimed: the worker is waiting on its read.
      await eventually('the claim', async () => (watch.seen.has('processing') ? true : undefined));
      await dropFolder().getBlockBlobClient(path).delete();
      await expectForgotten(path, watch.seen);
      expect(stack.output).toMatch(new RegExp(`blob images/${path} \\(\\d+ bytes\\) -> deleted`));
    } finally {
      await watch.stop();
    }
  }, 90_000);

  it('leaves nothing when the deletion is handled between the terminal row and the JSON blob and search entries (their writes wait 2 s)', async () => {
    await stack.killApp('SIGTERM');
    await stack.startApp({ STORAGE_FAULTS: 'stall=2000:1:blob:PUT' });
    const path = 'deleted/while-storing.png';
    await dropFolder().getBlockBlobClient(path).uploadData(img.photo(img.CAT));
    // The row is terminal; its JSON blob write is stalled.
    await eventually('the terminal row', async () =>
      (await stack.services().results.get(blobResultId('images', path)))?.result.status === 'succeeded'
        ? true
        : undefined,
    );
    await dropFolder().getBlockBlobClient(path).delete();
    await expectForgotten(path);
    expect(stack.output).toMatch(new RegExp(`blob images/${path} deleted -> result b-[0-9a-f]+ deleted`));
  }, 90_000);
});
