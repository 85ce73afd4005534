import { preprocessOf } from '../../../src/lib/model/manifest';
import { Classifier } from '../../../src/lib/classify/classifier';
import { InferenceBatcher } from '../../../src/lib/classify/inferenceBatcher';
import { decodeImage } from '../../../src/lib/decode/decodeImage';
import * as img from '../../support/images';

let classifier: Classifier;
beforeAll(async () => {
  classifier = await Classifier.create();
});

describe('Classifier.classify', () => {
  it.each(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const)(
    'finds the cat in a %s',
    async (format) => {
      const result = await classifier.classify(await img.catAs(format), { name: `cat.${format}` });
      expect(result.status).toBe('succeeded');
      expect(img.CAT_CLASSES).toContain(result.predictions![0].classIndex);
    },
  );

  it('returns the contract result shape', async () => {
    const bytes = await img.catAs('jpeg');
    const result = await classifier.classify(bytes, { name: 'cat.jpg', id: 'abc' });
    expect(result).toMatchObject({
      id: 'abc',
      status: 'succeeded',
      source: { name: 'cat.jpg', bytes: bytes.length, contentType: 'image/jpeg', width: 451, height: 300 },
      model: {
        id: 'mobilenetv2-12-int8',
        sha256: '83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f',
      },
    });
    expect(result.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.predictions).toHaveLength(5);
    const scores = result.predictions!.map((p) => p.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(result.error).toBeUndefined();
    expect(Date.parse(result.completedAt!)).toBeGreaterThanOrEqual(Date.parse(result.createdAt));
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.decodeMs);
  });

  it('keeps as many predictions as asked', async () => {
    const result = await classifier.classify(await img.catAs('png'), { name: 'cat.png', top: 12 });
    expect(result.predictions).toHaveLength(12);
  });

  it('finds the cat in CMYK, grey, 16-bit, alpha and EXIF-rotated variants', async () => {
    for (const make of [
      img.catCmykJpeg,
      img.catGreyPng,
      img.cat16BitPng,
      img.catAlphaPng,
      img.catRotatedWithExif,
    ]) {
      const result = await classifier.classify(await make(), { name: make.name });
      expect(img.CAT_CLASSES).toContain(result.predictions![0].classIndex);
    }
  });

  it.each([
    ['empty_file', () => Buffer.alloc(0)],
    ['unsupported_format', () => img.TEXT],
    ['unsupported_format', () => img.SVG],
    ['image_too_large', () => img.pngWithHeader(30000, 30000)],
    ['corrupt_image', img.truncatedJpeg],
    ['file_too_large', () => Buffer.alloc(20 * 1024 * 1024 + 1, 0xff)],
  ] as const)('returns a failed result with %s instead of throwing', async (code, make) => {
    const result = await classifier.classify(await make(), { name: 'bad.jpg', contentType: 'image/jpeg' });
    expect(result).toMatchObject({ status: 'failed', error: { code } });
    expect(result.error!.message.length).toBeGreaterThan(20);
    expect(result.predictions).toBeUndefined();
  });

  it('gives the same answers when many images arrive at once', async () => {
    const bytes = await Promise.all((['jpeg', 'png', 'webp', 'tiff'] as const).map((f) => img.catAs(f)));
    const alone = await Promise.all(bytes.map((b) => classifier.classify(b, { name: 'x' })));
    const together = await Promise.all(
      [...bytes, ...bytes, ...bytes].map((b) => classifier.classify(b, { name: 'x' })),
    );
    together.forEach((r, i) => {
      expect(r.predictions![0].classIndex).toBe(alone[i % 4].predictions![0].classIndex);
      expect(r.predictions![0].score).toBeCloseTo(alone[i % 4].predictions![0].score, 4);
    });
  });
});

describe('InferenceBatcher', () => {
  it('puts concurrent crops into shared runs without changing results', async () => {
    const geometry = preprocessOf(classifier.session.manifest);
    const crop = (await decodeImage(await img.catAs('png'), { limits: classifier.limits, ...geometry }))
      .pixels;
    const batcher = new InferenceBatcher(classifier.session, { maxBatchSize: 4 });
    const outcomes = await Promise.all(Array.from({ length: 9 }, () => batcher.infer(crop)));
    expect(Math.max(...outcomes.map((o) => o.batchSize))).toBe(4);
    expect(outcomes[0].batchSize).toBe(1); // the first crop did not wait for company
    for (const o of outcomes) expect(o.probabilities[285]).toBeCloseTo(outcomes[0].probabilities[285], 4);
  });
});
