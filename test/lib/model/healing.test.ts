/**
 * A dead inference thread heals: the batch it held fails as a retryable internal_error, and the
 * next batch starts a new thread (INFERENCE_FAULTS, the tests' fault hook, makes it exit).
 */
import { Classifier } from '../../../src/lib/classify/classifier';
import * as img from '../../support/images';

describe('the inference thread', () => {
  let classifier: Classifier;
  beforeAll(async () => {
    process.env.INFERENCE_FAULTS = 'exit-after:2';
    classifier = await Classifier.create();
    delete process.env.INFERENCE_FAULTS;
  });
  afterAll(() => classifier.session.dispose());

  it('is started again by the next batch after it died', async () => {
    const cat = img.photo(img.CAT);
    const classify = () => classifier.classify(cat, { name: 'cat.png' });
    expect((await classify()).status).toBe('succeeded');
    // Batch 2: the thread exits before answering.
    const lost = await classify();
    expect(lost).toMatchObject({ status: 'failed', error: { code: 'internal_error' } });
    expect(lost.error!.message).toMatch(/inference thread exited/);
    for (let i = 0; i < 3; i++) {
      const healed = await classify();
      expect(healed.status).toBe('succeeded');
      expect(img.CAT_CLASSES).toContain(healed.predictions![0].classIndex);
    }
  });
});

describe('a hung inference thread', () => {
  let classifier: Classifier;
  beforeAll(async () => {
    process.env.INFERENCE_FAULTS = 'hang-after:2';
    classifier = await Classifier.create({ inferenceTimeoutMs: 1000 });
    delete process.env.INFERENCE_FAULTS;
  });
  afterAll(() => classifier.session.dispose());

  it('is ended after the inference timeout and started again by the next batch', async () => {
    const cat = img.photo(img.CAT);
    const classify = () => classifier.classify(cat, { name: 'cat.png' });
    expect((await classify()).status).toBe('succeeded');
    const started = Date.now();
    const stuck = await classify(); // batch 2 hangs
    expect(stuck).toMatchObject({ status: 'failed', error: { code: 'internal_error' } });
    expect(stuck.error!.message).toMatch(/Inference took longer than 1 s/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await classify()).status).toBe('succeeded');
  });
});
