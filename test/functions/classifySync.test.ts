/**
 * POST /api/classify on the real local stack (Azurite + the app as `npm start` runs it): every
 * accepted body form, `top` and `name`, each error code this route can answer, a concurrent
 * burst, and nothing written to storage.
 */
import { TableClient } from '@azure/data-tables';
import { storageNames } from '../../src/lib/storage/names';
import type { ClassificationResult } from '../../src/lib/results/result';
import * as img from '../support/images';
import { useLocalStack } from '../support/stack';

const stack = useLocalStack();

interface Answer {
  status: number;
  body: ClassificationResult;
}

type Body = Buffer | string | Blob | FormData | undefined;

async function classify(body: Body, contentType?: string, query = ''): Promise<Answer> {
  const response = await fetch(`${stack.url}/api/classify${query}`, {
    method: 'POST',
    body: Buffer.isBuffer(body) ? new Uint8Array(body) : body,
    headers: contentType ? { 'content-type': contentType } : {},
  });
  return { status: response.status, body: (await response.json()) as ClassificationResult };
}

const asJson = (image: unknown): string => JSON.stringify({ image });

function expectCat(answer: Answer, top = 5): void {
  expect(answer.status).toBe(200);
  expect(answer.body.status).toBe('succeeded');
  expect(answer.body.predictions).toHaveLength(top);
  expect(img.CAT_CLASSES).toContain(answer.body.predictions?.[0].classIndex);
  expect(answer.body.error).toBeUndefined();
}

function expectFailed(answer: Answer, code: string, gist: RegExp): void {
  expect(answer.status).toBe(422);
  expect(answer.body.status).toBe('failed');
  expect(answer.body.error?.code).toBe(code);
  expect(answer.body.error?.message).toMatch(gist);
  expect(answer.body.predictions).toBeUndefined();
}

function expectHttpError(answer: Answer, status: number, code: string, gist: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({ error: { code, message: expect.stringMatching(gist) } });
}

describe('POST /api/classify with image bytes', () => {
  it('classifies a raw JPEG body as the cat, with the whole result object', async () => {
    const jpeg = await img.catAs('jpeg');
    const answer = await classify(jpeg, 'image/jpeg');
    expectCat(answer);
    expect(answer.body.source).toEqual({
      name: 'upload',
      bytes: jpeg.length,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      contentType: 'image/jpeg',
      width: 451,
      height: 300,
    });
    expect(answer.body.model.id).toBe('mobilenetv2-12-int8');
    expect(answer.body.timings.totalMs).toBeGreaterThan(0);
  });

  it('classifies a raw PNG body, by its magic bytes even when labelled image/jpeg', async () => {
    const answer = await classify(img.photo(img.CAT), 'image/jpeg');
    expectCat(answer);
    expect(answer.body.source.contentType).toBe('image/png');
  });

  it('classifies an application/octet-stream body', async () => {
    expectCat(await classify(await img.catAs('webp'), 'application/octet-stream'));
  });

  it('classifies a body sent with no content type', async () => {
    expectCat(await classify(new Blob([new Uint8Array(img.photo(img.CAT))])));
  });

  it('returns the top N predictions, highest first, for ?top=N', async () => {
    const answer = await classify(img.photo(img.CAT), 'image/png', '?top=3');
    expectCat(answer, 3);
    const scores = answer.body.predictions!.map((p) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expectCat(await classify(img.photo(img.CAT), 'image/png', '?top=1000'), 1000);
  });

  it('names the result after ?name=, without its path or control characters', async () => {
    const answer = await classify(
      img.photo(img.CAT),
      'image/png',
      `?name=${encodeURIComponent('../a/cat\u0007.png')}`,
    );
    expect(answer.body.source.name).toBe('cat.png');
  });
});

describe('POST /api/classify with JSON base64', () => {
  it('classifies { "image": "<base64>" }', async () => {
    expectCat(await classify(asJson(img.photo(img.CAT).toString('base64')), 'application/json'));
  });

  it('classifies a data URL, as the seed client sent it', async () => {
    const jpeg = await img.catAs('jpeg');
    const answer = await classify(
      asJson(`data:image/jpeg;base64,${jpeg.toString('base64')}`),
      'application/json; charset=utf-8',
    );
    expectCat(answer);
    expect(answer.body.source.bytes).toBe(jpeg.length);
  });

  it('accepts base64 wrapped in lines, as the base64 tool writes it', async () => {
    const wrapped = img.photo(img.CAT).toString('base64').replace(/.{76}/g, '$&\n');
    expectCat(await classify(asJson(wrapped), 'application/json', '?top=2'), 2);
  });

  it('answers 400 bad_request for malformed JSON', async () => {
    expectHttpError(
      await classify('{"image": "abc', 'application/json'),
      400,
      'bad_request',
      /not valid JSON/,
    );
  });

  it('answers 400 bad_request when "image" is missing or not a string', async () => {
    expectHttpError(await classify('{}', 'application/json'), 400, 'bad_request', /"image".*missing/);
    expectHttpError(await classify(asJson(42), 'application/json'), 400, 'bad_request', /a number/);
    expectHttpError(await classify('[]', 'application/json'), 400, 'bad_request', /JSON object/);
  });

  it('answers 400 bad_request for invalid base64', async () => {
    expectHttpError(await classify(asJson('not base64!'), 'application/json'), 400, 'bad_request', /base64/);
    expectHttpError(await classify(asJson('QUJD='), 'application/json'), 400, 'bad_request', /padding/);
  });

  it('answers 400 bad_request for a data URL that is not base64', async () => {
    const answer = await classify(asJson('data:image/svg+xml,<svg/>'), 'application/json');
    expectHttpError(answer, 400, 'bad_request', /base64 data URL/);
  });

  it('answers 422 empty_file for an empty "image"', async () => {
    expectFailed(await classify(asJson(''), 'application/json'), 'empty_file', /empty/);
  });

  it('answers 422 unsupported_format for base64 SVG, keeping the data URL type', async () => {
    const answer = await classify(
      asJson(`data:image/svg+xml;base64,${img.SVG.toString('base64')}`),
      'application/json',
    );
    expectFailed(answer, 'unsupported_format', /SVG/);
    expect(answer.body.source.contentType).toBe('image/svg+xml');
  });
});

describe('POST /api/classify with a bad image or request', () => {
  it('answers 422 empty_file for an empty body', async () => {
    expectFailed(await classify(undefined, 'image/jpeg'), 'empty_file', /empty \(0 bytes\)/);
  });

  it('answers 422 unsupported_format for text, whatever the content type says', async () => {
    expectFailed(await classify(img.TEXT, 'image/jpeg'), 'unsupported_format', /not a JPEG, PNG/);
    expectFailed(await classify(img.TEXT, 'text/plain'), 'unsupported_format', /not a JPEG, PNG/);
  });

  it('answers 422 unsupported_format for SVG, without rendering it', async () => {
    const answer = await classify(img.SVG, 'image/svg+xml');
    expectFailed(answer, 'unsupported_format', /looks like SVG/);
    expect(answer.body.source.contentType).toBe('image/svg+xml');
  });

  it('answers 422 corrupt_image for a truncated JPEG', async () => {
    expectFailed(await classify(await img.truncatedJpeg(), 'image/jpeg'), 'corrupt_image', /JPEG.*truncated/);
  });

  it('rejects a PNG whose header declares 30000x30000 before decoding (422 image_too_large)', async () => {
    const answer = await classify(img.pngWithHeader(30000, 30000), 'image/png');
    expectFailed(answer, 'image_too_large', /30000x30000/);
  });

  it('answers 415 unsupported_media_type for a multipart form upload (not the bad-bytes code), saying what to send', async () => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(img.photo(img.CAT))], { type: 'image/png' }), 'cat.png');
    expectHttpError(await classify(form), 415, 'unsupported_media_type', /image\/\*.*"image": "<base64>"/);
  });

  it.each(['0', '1001', '2.5', 'abc', '', '-1'])('answers 400 bad_request for ?top=%s', async (top) => {
    const answer = await classify(img.photo(img.CAT), 'image/png', `?top=${top}`);
    expectHttpError(
      answer,
      400,
      'bad_request',
      /Expected an integer between 1 and 1000 for top but received/,
    );
  });

  it('answers 404 to GET: the route is POST only', async () => {
    expect((await fetch(`${stack.url}/api/classify`)).status).toBe(404);
  });
});

describe('POST /api/classify under load', () => {
  it('answers a concurrent burst of 32 requests, each with its own image', async () => {
    const images = await Promise.all([
      img.catAs('jpeg'),
      img.catAs('png'),
      img.truncatedJpeg(),
      Promise.resolve(img.TEXT),
    ]);
    const expected = ['succeeded', 'succeeded', 'corrupt_image', 'unsupported_format'];
    const answers = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        classify(images[i % 4], 'application/octet-stream', `?name=img-${i}&top=${1 + (i % 7)}`),
      ),
    );
    answers.forEach((answer, i) => {
      expect(answer.body.source.name).toBe(`img-${i}`);
      if (i % 4 < 2) expectCat(answer, 1 + (i % 7));
      else expect([answer.status, answer.body.error?.code]).toEqual([422, expected[i % 4]]);
    });
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(32);
  });
});

describe('POST /api/classify and storage', () => {
  // Last in the file, so every request above has been answered.
  it('wrote nothing: no blob in any container, no row in the results table', async () => {
    const blobs = stack.blobs();
    for await (const container of blobs.listContainers()) {
      const names: string[] = [];
      for await (const blob of blobs.getContainerClient(container.name).listBlobsFlat())
        // The Event Grid stand-in's own subscription records (Event Grid's state in Azure, written at the host's start).
        if (!(container.name === 'azure-webjobs-hosts' && blob.name.startsWith('eventgrid-standin/')))
          names.push(blob.name);
      expect({ container: container.name, names }).toEqual({ container: container.name, names: [] });
    }
    const table = TableClient.fromConnectionString(stack.connectionString, storageNames.resultsTable, {
      allowInsecureConnection: true,
    });
    const rows: unknown[] = [];
    for await (const row of table.listEntities()) rows.push(row);
    expect(rows).toEqual([]);
  });
});
