/**
 * A dead inference thread heals: the batch it held fails as a retryable internal_error, and the
 * next batch starts a new thread (INFERENCE_FAULTS, the tests' fault hook, makes it exit).
 */
import { Classifier } from '../../../src/lib/classify/classifier';
import * as img from '../../support/images';

/** A classifier whose first inference thread breaks at its second batch (the fault hook), and a cat to classify. */
function faulty(fault: string, options: { inferenceTimeoutMs?: number } = {}) {
  const ctx = { classifier: undefined as unknown as Classifier };
  beforeAll(async () => {
    process.env.INFERENCE_FAULTS = fault;
    ctx.classifier = await Classifier.create(options);
    delete process.env.INFERENCE_FAULTS;
  });
  afterAll(() => ctx.classifier.close());
  const cat = img.photo(img.CAT);
  return () => ctx.classifier.classify(cat, { name: 'cat.png' });
}

describe('the inference thread', () => {
  const classify = faulty('exit-after:2');

  it('is started again by the next batch after it died', async () => {
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
  const classify = faulty('hang-after:2', { inferenceTimeoutMs: 1000 });

  it('is ended after the inference timeout and started again by the next batch', async () => {
    expect((await classify()).status).toBe('succeeded');
    const started = Date.now();
    const stuck = await classify(); // batch 2 hangs
    expect(stuck).toMatchObject({ status: 'failed', error: { code: 'internal_error' } });
    expect(stuck.error!.message).toMatch(/Inference took longer than 1 s/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await classify()).status).toBe('succeeded');
  });
});
