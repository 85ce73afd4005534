/**
 * The drop folder: any blob written to `images` is classified once, readable by its path,
 * with its JSON under results/images/<path>.json. Duplicate events give one result.
 */
import { toBlobCreated } from '../../src/functions/converters/blobCreatedEvent';
import { acceptBlob } from '../../src/lib/intake/acceptBlob';
import { limitsFromEnv } from '../../src/lib/decode/limits';
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
