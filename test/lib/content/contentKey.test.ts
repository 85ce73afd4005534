/**
 * The content index serves a stored prediction only to a classifier that would give the same
 * answer: the key covers the model file and how its int8 products are computed, its
 * preprocessing, its labels and the decoder.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Classifier } from '../../../src/lib/classify/classifier';
import { PROJECT_ROOT } from '../../../src/lib/paths';

const MANIFEST = path.join(PROJECT_ROOT, 'models/mobilenetv2-12-int8.json');
const dir = mkdtempSync(path.join(os.tmpdir(), 'content-key-'));

/** The default manifest with one change, written beside a copy of its labels. */
function variant(name: string, change: (m: Record<string, unknown>, labels: string[]) => void): string {
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, unknown>;
  const labels = JSON.parse(
    readFileSync(path.resolve(path.dirname(MANIFEST), manifest.labels as string), 'utf8'),
  ) as string[];
  change(manifest, labels);
  writeFileSync(path.join(dir, `${name}-labels.json`), JSON.stringify(labels));
  manifest.labels = `${name}-labels.json`;
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(manifest));
  return file;
}

describe('the content index key', () => {
  const classifiers: Classifier[] = [];
  const create = async (model?: string, u8s8Exact?: boolean) => {
    const c = await Classifier.create({ model, thread: 'main', u8s8Exact });
    classifiers.push(c);
    return c;
  };
  afterAll(() => Promise.all(classifiers.map((c) => c.close())));

  it('is the same for the same model, manifest and decoder', async () => {
    const [a, b] = [await create(), await create(variant('same', () => undefined))];
    expect(b.contentKey).toEqual(a.contentKey);
    expect(a.contentKey.id).toBe('mobilenetv2-12-int8');
  });

  it.each([
    [
      'preprocessing',
      (m: Record<string, unknown>) =>
        ((m.preprocessing as { resizeShorterSide: number }).resizeShorterSide = 232),
    ],
    ['labels', (_m: Record<string, unknown>, labels: string[]) => (labels[281] = 'cat')],
    ['output', (m: Record<string, unknown>) => ((m.output as { kind: string }).kind = 'probabilities')],
  ])('changes with the %s, though the model file is the same', async (name, change) => {
    const [a, b] = [await create(), await create(variant(name, change))];
    expect(b.model).toEqual(a.model);
    expect(b.contentKey.answer).not.toBe(a.contentKey.answer);
  });

  it('changes with how the int8 products are computed: a clipped answer is never served for the exact one', async () => {
    // Run as published on a CPU taken to have no VNNI: the sums clip; the default rewrites them.
    const asPublished = variant('as-published', (m) => (m.int8 = 'as-published'));
    const [exact, clipped] = [await create(undefined, false), await create(asPublished, false)];
    expect(exact.model.computation).toBe('exact');
    expect(clipped.model).toEqual({ ...exact.model, computation: 'saturating' });
    expect(clipped.contentKey.answer).not.toBe(exact.contentKey.answer);
    // The same exact answer, whether this CPU needed the rewrite or not, shares its entries.
    expect((await create(undefined, true)).contentKey).toEqual(exact.contentKey);
  });
});
