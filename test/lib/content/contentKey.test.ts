/**
 * The content index serves a stored prediction only to a classifier that would give the same
 * answer: the key covers the model file, its preprocessing, its labels and the decoder.
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
  const create = async (model?: string) => {
    const c = await Classifier.create({ model, thread: 'main' });
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
});
