/**
 * `POST /api/classify` below HTTP: classifyRequest with the real model and only the parts it
 * uses (the models, the sync slots, telemetry: no storage). The query is checked before the body
 * is read, the byte limit is the model's, a bad image is a `failed` result (not a throw), the
 * answer is recorded as a `sync` result, and a request waits for a free slot and says how long.
 */
import { Models } from '../../../src/lib/classify/models';
import { Semaphore } from '../../../src/lib/concurrency';
import type { BodyStream, HttpInput } from '../../../src/lib/http/httpTypes';
import { classifyRequest, parseSyncQuery } from '../../../src/lib/sync/classifyRequest';
import { METRIC_NAMES, ResultTelemetry } from '../../../src/lib/telemetry/resultTelemetry';
import * as img from '../../support/images';
import { recordingTelemetry, type RecordingTelemetry } from '../../support/recordingTelemetry';
import { thrown } from '../../support/thrown';

// The cat (240 KB) fits, the coffee photo (466 KB) does not.
const MAX_BYTES = 300_000;
const models = new Models({
  classifier: { threads: 1, limits: { maxBytes: MAX_BYTES, maxPixels: 50_000_000, maxDecodeSeconds: 30 } },
});
afterAll(() => models.close());

let telemetry: RecordingTelemetry;
let parts: { models: Models; syncSlots: Semaphore; telemetry: ResultTelemetry };
beforeEach(() => {
  telemetry = recordingTelemetry();
  parts = { models, syncSlots: new Semaphore(1), telemetry: new ResultTelemetry(telemetry.providers) };
});

/** A request whose body records whether anyone started reading it. */
function request(query: string, body: Buffer | string, contentType = 'image/png') {
  const read = { started: false };
  const stream = new Blob([typeof body === 'string' ? body : new Uint8Array(body)]).stream();
  const watched: BodyStream = {
    getReader() {
      read.started = true;
      return stream.getReader();
    },
  };
  const input: HttpInput = {
    url: `http://localhost/api/classify?${query}`,
    query: new URLSearchParams(query),
    headers: new Headers({ 'content-type': contentType }),
    body: watched,
  };
  return { input, read };
}

describe('parseSyncQuery', () => {
  it('defaults to 5 predictions, the name "upload" and the default model', () => {
    expect(parseSyncQuery(new URLSearchParams())).toEqual({ top: 5, name: 'upload', model: undefined });
  });

  it('keeps only the last path segment of ?name= and drops control characters', () => {
    expect(parseSyncQuery(new URLSearchParams('name=../../etc/ca\u0007t.png')).name).toBe('cat.png');
  });

  it('refuses a top outside 1..1000 or not a whole number, naming the parameter', () => {
    for (const top of ['0', '1001', 'abc', '2.5'])
      expect(thrown(() => parseSyncQuery(new URLSearchParams({ top })))).toMatchObject({
        code: 'bad_request',
        message: expect.stringContaining('top') as unknown,
      });
  });

  it('refuses a model id with characters no manifest id has', () => {
    expect(thrown(() => parseSyncQuery(new URLSearchParams({ model: '../x' })))).toMatchObject({
      code: 'bad_request',
    });
  });
});

describe('classifyRequest', () => {
  it('classifies raw bytes with the asked number of predictions and records a sync result', async () => {
    const { input } = request('top=3&name=photos/cat.png', img.photo(img.CAT));
    const result = await classifyRequest(parts, input);
    expect(result).toMatchObject({
      status: 'succeeded',
      source: { name: 'cat.png', bytes: img.photo(img.CAT).length, contentType: 'image/png' },
    });
    expect(result.predictions).toHaveLength(3);
    expect(img.CAT_CLASSES).toContain(result.predictions![0].classIndex);
    expect(result.timings.downloadMs).toBeGreaterThanOrEqual(0);
    expect(result.timings.totalMs).toBeGreaterThan(0);
    expect(telemetry.points(METRIC_NAMES.images)).toEqual([
      expect.objectContaining({
        attributes: expect.objectContaining({
          'classifier.path': 'sync',
          'classifier.status': 'succeeded',
        }) as unknown,
      }),
    ]);
  });

  it('applies the byte limit to what base64 decodes to, not to the JSON text', async () => {
    const image = img.photo(img.CAT).toString('base64');
    expect(image.length).toBeGreaterThan(MAX_BYTES);
    const { input } = request('', JSON.stringify({ image }), 'application/json');
    const result = await classifyRequest(parts, input);
    expect(result.status).toBe('succeeded');
    expect(img.CAT_CLASSES).toContain(result.predictions![0].classIndex);
  });

  it("refuses a body over the model's byte limit as file_too_large", async () => {
    const { input } = request('', img.photo('coffee.png'));
    await expect(classifyRequest(parts, input)).rejects.toMatchObject({
      code: 'file_too_large',
      message: expect.stringContaining(`at most ${MAX_BYTES} bytes`) as unknown,
    });
    expect(telemetry.points(METRIC_NAMES.images)).toEqual([]);
  });

  it('refuses a bad query or an unknown model before reading a byte of the body', async () => {
    const badTop = request('top=0', img.photo(img.CAT));
    await expect(classifyRequest(parts, badTop.input)).rejects.toMatchObject({ code: 'bad_request' });
    expect(badTop.read.started).toBe(false);
    const unknown = request('model=no-such-model', img.photo(img.CAT));
    await expect(classifyRequest(parts, unknown.input)).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('mobilenetv2-12-int8') as unknown,
    });
    expect(unknown.read.started).toBe(false);
  });

  it('answers bytes that are not an image with a failed result (unsupported_format), recorded as such', async () => {
    const { input } = request('name=notes.png', '<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/png');
    const result = await classifyRequest(parts, input);
    expect(result).toMatchObject({ status: 'failed', error: { code: 'unsupported_format' } });
    expect(result.predictions).toBeUndefined();
    expect(telemetry.points(METRIC_NAMES.images)[0].attributes).toMatchObject({
      'classifier.status': 'failed',
      'classifier.error_code': 'unsupported_format',
    });
  });

  it('waits for a free sync slot and reports the wait as queueMs', async () => {
    let release!: () => void;
    const held = parts.syncSlots.run(() => new Promise<void>((resolve) => (release = resolve)));
    const answered = classifyRequest(parts, request('', img.photo(img.CAT)).input);
    let done = false;
    void answered.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(done).toBe(false); // the one slot is taken
    release();
    await held;
    const result = await answered;
    expect(result.status).toBe('succeeded');
    expect(result.timings.queueMs).toBeGreaterThanOrEqual(300);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.queueMs);
  });
});
