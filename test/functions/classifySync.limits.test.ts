/**
 * POST /api/classify's byte limit, with the app started at CLASSIFIER_MAX_BYTES=100000 so the
 * over-limit bodies stay small: checked from Content-Length, while reading a body that has none,
 * and, for base64, on the decoded size. Also CLASSIFIER_SYNC_CONCURRENCY=1: a burst waits its turn,
 * and GET /api/limits tells the same limit (the page checks files with it).
 */
import type { ClassificationResult } from '../../src/lib/results/result';
import * as img from '../support/images';
import { useLocalStack } from '../support/stack';

const MAX_BYTES = 100_000;
const stack = useLocalStack({
  env: {
    CLASSIFIER_MAX_BYTES: String(MAX_BYTES),
    CLASSIFIER_SYNC_CONCURRENCY: '1',
    // The host's own cap at its default, so the function's checks are what these bodies meet.
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(100 * 1024 * 1024),
  },
});

async function classify(
  body: Buffer | string | ReadableStream<Uint8Array>,
  contentType: string,
): Promise<{ status: number; body: ClassificationResult }> {
  const response = await fetch(`${stack.url}/api/classify`, {
    method: 'POST',
    body: Buffer.isBuffer(body) ? new Uint8Array(body) : body,
    headers: { 'content-type': contentType },
    duplex: 'half',
  } as RequestInit);
  return { status: response.status, body: (await response.json()) as ClassificationResult };
}

it('GET /api/limits answers the byte limit the app runs with and the accepted types', async () => {
  const response = await fetch(`${stack.url}/api/limits`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({
    maxBytes: MAX_BYTES,
    maxPixels: 50_000_000,
    types: ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/tiff', 'image/avif'],
  });
});

/** A body with no Content-Length (chunked), so only the streaming check can stop it. */
function chunked(bytes: Buffer): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 16 * 1024)
        controller.enqueue(bytes.subarray(at, at + 16 * 1024));
      controller.close();
    },
  });
}

const tooLarge = {
  error: { code: 'file_too_large', message: expect.stringMatching(/at most 100000 bytes/) },
};

describe('POST /api/classify over the byte limit', () => {
  it('answers 413 file_too_large from Content-Length', async () => {
    const answer = await classify(img.randomBytes(MAX_BYTES + 1), 'image/jpeg');
    expect(answer).toEqual({ status: 413, body: tooLarge });
    expect(answer.body.error?.message).toMatch(/Content-Length says 100001/);
  });

  it('answers 413 file_too_large while reading a body sent without Content-Length', async () => {
    const answer = await classify(chunked(img.randomBytes(3 * MAX_BYTES)), 'application/octet-stream');
    expect(answer).toEqual({ status: 413, body: tooLarge });
    expect(answer.body.error?.message).toMatch(/more was sent/);
  });

  it('answers 413 file_too_large when the base64 image decodes to more than the limit', async () => {
    const image = img.randomBytes(MAX_BYTES + 1).toString('base64');
    const answer = await classify(JSON.stringify({ image }), 'application/json');
    expect(answer).toEqual({ status: 413, body: tooLarge });
    expect(answer.body.error?.message).toMatch(/decodes to 100001/);
  });

  it('answers 413 file_too_large for a JSON body far over 4/3 of the limit', async () => {
    const answer = await classify(JSON.stringify({ image: 'A'.repeat(4 * MAX_BYTES) }), 'application/json');
    expect(answer.status).toBe(413);
    expect(answer.body.error).toEqual({
      code: 'file_too_large',
      message: expect.stringMatching(/JSON body/),
    });
  });

  it('still classifies an image just under the limit', async () => {
    const jpeg = await img.catAs('jpeg');
    expect(jpeg.length).toBeLessThanOrEqual(MAX_BYTES);
    const answer = await classify(jpeg, 'image/jpeg');
    expect(answer.status).toBe(200);
    expect(img.CAT_CLASSES).toContain(answer.body.predictions?.[0].classIndex);
    const base64 = await classify(JSON.stringify({ image: jpeg.toString('base64') }), 'application/json');
    expect(base64.status).toBe(200);
  });
});

describe('POST /api/classify under a burst', () => {
  it('classifies CLASSIFIER_SYNC_CONCURRENCY at a time; the others wait their turn (timings.queueMs)', async () => {
    const small = await img.catAs('jpeg');
    expect(small.length).toBeLessThan(MAX_BYTES);
    const results = await Promise.all(Array.from({ length: 4 }, () => classify(small, 'image/jpeg')));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const waits = results.map((r) => r.body.timings.queueMs).sort((a, b) => a - b);
    // One at a time: the last waited for about three classifications, the one before it for
    // two, less the gaps between the bodies' arrivals (with HTTP streaming, a few ms to tens of
    // ms apart on a loaded machine). Unbounded, every wait would be about 0.
    const work = Math.min(...results.map((r) => r.body.timings.decodeMs + r.body.timings.inferMs));
    expect(waits[3]).toBeGreaterThanOrEqual(work);
    expect(waits[2]).toBeGreaterThanOrEqual(work / 2);
  });
});
