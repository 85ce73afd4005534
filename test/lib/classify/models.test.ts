/**
 * Models chosen per request, with real ONNX models built in the test (tools/testModels.ts:
 * each outputs the mean of every input channel, one label per channel in the model's order).
 * Every manifest variant gives the label and the exact scores the pixels imply; two models
 * answer interleaved requests in one process; loaded models stay within the memory budget,
 * least recently used out first; an unknown id names the known ones.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measuredSize, Models, type ModelLoadSize } from '../../../src/lib/classify/models';
import { ClassifierError } from '../../../src/lib/errors';
import { DEFAULT_MODEL_ID } from '../../../src/lib/model/manifest';
import * as img from '../../support/images';
import { writeTestModel, type TestModelSpec } from '../../../tools/testModels';

const dir = mkdtempSync(path.join(os.tmpdir(), 'test-models-'));
const opened: Models[] = [];
const modelsIn = (options: ConstructorParameters<typeof Models>[0] = {}): Models => {
  const models = new Models({ manifestDirs: [dir], classifier: { threads: 1 }, ...options });
  opened.push(models);
  return models;
};
afterAll(() => Promise.all(opened.map((m) => m.close())));

const COLOUR: [number, number, number] = [200, 100, 50];
const softmax = (xs: number[]): number[] => {
  const e = xs.map((x) => Math.exp(x - Math.max(...xs)));
  return e.map((v) => v / e.reduce((a, b) => a + b, 0));
};
const sigmoid = (xs: number[]): number[] => xs.map((x) => 1 / (1 + Math.exp(-x)));

interface Variant {
  spec: TestModelSpec;
  /** The scores the model must give the colour, by label. */
  expected: Record<string, number>;
}

const [R, G, B] = COLOUR;
const VARIANTS: Variant[] = [
  (() => {
    const s = softmax([R / 255, G / 255, B / 255]);
    return {
      spec: { id: 'mean-nchw-rgb', layout: 'NCHW', channels: 'RGB', output: 'logits' },
      expected: { red: s[0], green: s[1], blue: s[2] },
    };
  })(),
  (() => {
    // BGR, 0-255, mean and std in the model's channel order (B, G, R), NHWC: Keras "caffe" style.
    const mean = [10, 20, 30];
    const s = softmax([(B - mean[0]) / 2, (G - mean[1]) / 2, (R - mean[2]) / 2]);
    return {
      spec: {
        id: 'mean-nhwc-bgr',
        layout: 'NHWC',
        channels: 'BGR',
        output: 'logits',
        preprocessing: { scale: '0-255', mean, std: [2, 2, 2] },
      },
      expected: { blue: s[0], green: s[1], red: s[2] },
    };
  })(),
  (() => {
    // -1..1 (TensorFlow "inception" style), independent sigmoid scores, labels from a text file.
    const s = sigmoid([(R * 2) / 255 - 1, (G * 2) / 255 - 1, (B * 2) / 255 - 1]);
    return {
      spec: {
        id: 'mean-sigmoid',
        layout: 'NCHW',
        channels: 'RGB',
        output: 'sigmoid',
        preprocessing: { scale: '-1-1' },
        labelsAs: 'txt',
      },
      expected: { red: s[0], green: s[1], blue: s[2] },
    };
  })(),
  {
    // Probabilities as the model gives them (these do not sum to 1: nothing is renormalised).
    spec: {
      id: 'mean-probabilities',
      layout: 'NHWC',
      channels: 'BGR',
      output: 'probabilities',
      width: 40,
      height: 24,
    },
    expected: { blue: B / 255, green: G / 255, red: R / 255 },
  },
];

beforeAll(() => {
  for (const { spec } of VARIANTS) writeTestModel(dir, spec);
  writeTestModel(dir, {
    id: 'mean-squash',
    layout: 'NCHW',
    channels: 'RGB',
    output: 'logits',
    preprocessing: { resize: 'squash' },
  });
});

describe('manifest variants', () => {
  it.each(VARIANTS.map((v) => [v.spec.id, v] as const))(
    '%s gives the scores its pixels imply',
    async (_, v) => {
      const classifier = await modelsIn().classifier(v.spec.id);
      const result = await classifier.classify(await img.solidPng(COLOUR), { name: 'solid.png', top: 3 });
      expect(result.status).toBe('succeeded');
      expect(result.model.id).toBe(v.spec.id);
      const scores = Object.fromEntries(result.predictions!.map((p) => [p.label, p.score]));
      for (const [label, score] of Object.entries(v.expected)) expect(scores[label]).toBeCloseTo(score, 4);
      const best = Object.entries(v.expected).sort((a, b) => b[1] - a[1])[0][0];
      expect(result.predictions![0].label).toBe(best);
    },
  );

  it('serves a model exported with a fixed batch of 1, one image per run', async () => {
    writeTestModel(dir, { id: 'mean-batch-1', layout: 'NCHW', channels: 'RGB', output: 'logits', batch: 1 });
    const classifier = await modelsIn().classifier('mean-batch-1');
    const solid = await img.solidPng(COLOUR);
    // Concurrent images go to the batcher together; the model still gets them one at a time.
    const results = await Promise.all(
      Array.from({ length: 8 }, () => classifier.classify(solid, { name: 's' })),
    );
    expect(results.map((r) => r.status)).toEqual(results.map(() => 'succeeded'));
    expect(results.every((r) => r.predictions![0].label === 'red')).toBe(true);
  });

  it('crops the centre by default and squashes the whole image when told', async () => {
    const models = modelsIn();
    const wide = await img.redSidesGreenMiddle();
    const cropped = await (await models.classifier('mean-nchw-rgb')).classify(wide, { name: 'wide.png' });
    const squashed = await (await models.classifier('mean-squash')).classify(wide, { name: 'wide.png' });
    expect(cropped.predictions![0].label).toBe('green');
    expect(squashed.predictions![0].label).toBe('red');
  });
});

describe('Models', () => {
  it('lists the default first, then every manifest in its folders', () => {
    const list = modelsIn().list();
    expect(list[0]).toMatchObject({ id: DEFAULT_MODEL_ID, default: true, labels: 1000, available: true });
    expect(list.map((m) => m.id)).toEqual(
      expect.arrayContaining(['mean-nchw-rgb', 'mean-nhwc-bgr', 'mean-sigmoid', 'mean-probabilities']),
    );
    expect(list.find((m) => m.id === 'mean-nhwc-bgr')).toMatchObject({
      labels: 3,
      input: { layout: 'NHWC', width: 32, height: 32 },
      output: 'logits',
      available: true,
      loaded: false,
    });
  });

  it('refuses an unknown id with a bad_request that names the known ones', () => {
    const models = modelsIn();
    let error: unknown;
    try {
      models.manifest('no-such-model');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ClassifierError);
    expect((error as ClassifierError).code).toBe('bad_request');
    expect((error as Error).message).toMatch(/Unknown model "no-such-model"; known models: .*mean-nchw-rgb/);
  });

  it('answers interleaved requests for two models in one process, each with its own', async () => {
    const models = modelsIn();
    const red = await img.solidPng([230, 20, 20]);
    const results = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const id = i % 2 === 0 ? DEFAULT_MODEL_ID : 'mean-nhwc-bgr';
        return (await models.classifier(id)).classify(i % 2 === 0 ? img.photo(img.CAT) : red, {
          name: `${i}`,
        });
      }),
    );
    results.forEach((r, i) => {
      if (i % 2 === 0) {
        expect(r.model.id).toBe(DEFAULT_MODEL_ID);
        expect(img.CAT_CLASSES).toContain(r.predictions![0].classIndex);
      } else {
        expect(r.model.id).toBe('mean-nhwc-bgr');
        expect(r.predictions![0].label).toBe('red');
      }
    });
    expect(
      models
        .loaded()
        .map((m) => m.id)
        .sort(),
    ).toEqual([DEFAULT_MODEL_ID, 'mean-nhwc-bgr'].sort());
  });

  it('keeps loaded models within the memory budget, the least recently used out first', async () => {
    // What a load takes is measured, so it varies from run to run (and under a loaded machine
    // by more than a model's worth); here each model counts 100, so two fit in 250 and three do not.
    const ids = ['mean-nchw-rgb', 'mean-nhwc-bgr', 'mean-sigmoid'];
    const models = modelsIn({ memoryBudgetBytes: 250, sizeOf: () => 100 });
    const solid = await img.solidPng(COLOUR);
    const kept: string[][] = [];
    for (const id of [...ids, ...ids, ids[1], ids[0]]) {
      const result = await (await models.classifier(id)).classify(solid, { name: 'solid.png' });
      expect(result.status).toBe('succeeded');
      kept.push(models.loaded().map((m) => m.id));
    }
    const [a, b, c] = ids;
    expect(kept).toEqual([[a], [b, a], [c, b], [a, c], [b, a], [c, b], [b, c], [a, b]]);
  });

  it('counts a model loaded as at least its file, and as much as the process grew by', async () => {
    const PAD = 16 * 1024 * 1024;
    writeTestModel(dir, { id: 'padded', layout: 'NCHW', channels: 'RGB', output: 'logits', padBytes: PAD });
    const seen: ModelLoadSize[] = [];
    const models = modelsIn({ sizeOf: (load) => (seen.push(load), measuredSize(load)) });
    await models.classifier('padded');
    expect(seen).toEqual([
      { id: 'padded', fileBytes: expect.any(Number), rssGrowthBytes: expect.any(Number) },
    ]);
    expect(seen[0].fileBytes).toBeGreaterThan(PAD);
    expect(models.loaded()).toEqual([
      { id: 'padded', bytes: Math.max(seen[0].fileBytes, seen[0].rssGrowthBytes) },
    ]);
    expect(measuredSize({ id: 'x', fileBytes: 10, rssGrowthBytes: -5 })).toBe(10);
    expect(measuredSize({ id: 'x', fileBytes: 10, rssGrowthBytes: 30 })).toBe(30);
  });

  it('is ready per model: one that cannot load is not ready, the others are', async () => {
    writeTestModel(dir, { id: 'mean-missing-file', layout: 'NCHW', channels: 'RGB', output: 'logits' });
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'mean-missing-file.onnx'));
    const models = modelsIn({ classifier: { threads: 1, cacheDir: dir } });
    expect(await models.ready('mean-missing-file')).toBe(false);
    expect(models.lastFailure('mean-missing-file')).toMatch(/Could not download model "mean-missing-file"/);
    expect(await models.ready('mean-nchw-rgb')).toBe(true);
    expect(await models.ready('no-such-model')).toBe(false);
  });
});
