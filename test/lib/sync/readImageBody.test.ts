/**
 * The body of `POST /api/classify` with plain Fetch-API objects (no Functions runtime, no
 * model): raw bytes whatever their declared type, JSON `{ "image": "<base64>" }` decoded
 * strictly, form uploads refused, and the byte limit on what is sent and on what base64 decodes
 * to, each with the contract's code (CONTRACT.md: 400 bad_request, 413 file_too_large, 415).
 */
import { decodeImagePayload, jsonLimitFor } from '../../../src/lib/sync/base64Image';
import { readImageBody } from '../../../src/lib/sync/readImageBody';
import { thrown } from '../../support/thrown';

const request = (body: string | Buffer, headers: Record<string, string> = {}) => ({
  url: 'http://localhost/api/classify',
  query: new URLSearchParams(),
  headers: new Headers(headers),
  body: new Blob([typeof body === 'string' ? body : new Uint8Array(body)]).stream(),
});

const json = (value: unknown, type = 'application/json') =>
  request(JSON.stringify(value), { 'content-type': type });

const BYTES = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 250, 251, 252]);
const MAX = 64;

describe('readImageBody: raw bytes', () => {
  it('returns the bytes as sent with the declared type', async () => {
    expect(await readImageBody(request(BYTES, { 'content-type': 'image/png' }), { maxBytes: MAX })).toEqual({
      bytes: BYTES,
      contentType: 'image/png',
    });
  });

  it("takes bytes sent with curl's default form-urlencoded type or none: the bytes decide, not the header", async () => {
    const curl = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await readImageBody(request(BYTES, curl), { maxBytes: MAX })).bytes).toEqual(BYTES);
    expect(await readImageBody(request(BYTES), { maxBytes: MAX })).toEqual({ bytes: BYTES });
  });

  it('refuses a multipart form upload as unsupported_media_type, saying what to send', async () => {
    const form = { 'content-type': 'multipart/form-data; boundary=x' };
    await expect(readImageBody(request(BYTES, form), { maxBytes: MAX })).rejects.toMatchObject({
      code: 'unsupported_media_type',
      message: expect.stringMatching(/Form uploads are not accepted; send the image bytes/) as unknown,
    });
  });

  it('refuses a body whose Content-Length is over the limit before reading it', async () => {
    const headers = { 'content-type': 'image/png', 'content-length': String(MAX + 1) };
    await expect(readImageBody(request(BYTES, headers), { maxBytes: MAX })).rejects.toMatchObject({
      code: 'file_too_large',
      message: expect.stringMatching(
        /the image to be at most 64 bytes but Content-Length says 65/,
      ) as unknown,
    });
  });

  it('refuses a body that sends more than the limit without saying so, and takes one at the limit', async () => {
    const big = Buffer.alloc(MAX + 1, 7);
    await expect(readImageBody(request(big), { maxBytes: MAX })).rejects.toMatchObject({
      code: 'file_too_large',
      message: expect.stringMatching(/more was sent/) as unknown,
    });
    expect((await readImageBody(request(big.subarray(0, MAX)), { maxBytes: MAX })).bytes).toHaveLength(MAX);
  });
});

describe('readImageBody: JSON { "image": "<base64>" }', () => {
  it('decodes the image, from plain base64 or a data URL whose type it keeps', async () => {
    const b64 = BYTES.toString('base64');
    expect(await readImageBody(json({ image: b64 }), { maxBytes: MAX })).toEqual({ bytes: BYTES });
    expect(
      await readImageBody(
        json({ image: `data:IMAGE/PNG;base64,${b64}` }, 'application/json; charset=utf-8'),
        {
          maxBytes: MAX,
        },
      ),
    ).toEqual({ bytes: BYTES, contentType: 'image/png' });
  });

  it('reads any +json media type as JSON', async () => {
    const body = json({ image: BYTES.toString('base64') }, 'application/vnd.classify+json');
    expect((await readImageBody(body, { maxBytes: MAX })).bytes).toEqual(BYTES);
  });

  it('answers bad_request for a body that is not JSON', async () => {
    const body = request('{"image": ', { 'content-type': 'application/json' });
    await expect(readImageBody(body, { maxBytes: MAX })).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/not valid JSON/) as unknown,
    });
  });

  it('limits the JSON text to what base64 of the byte limit needs, before parsing it', async () => {
    const text = JSON.stringify({ image: 'A'.repeat(jsonLimitFor(MAX)) });
    await expect(
      readImageBody(request(text, { 'content-type': 'application/json' }), { maxBytes: MAX }),
    ).rejects.toMatchObject({
      code: 'file_too_large',
      message: expect.stringMatching(/the JSON body to be at most/) as unknown,
    });
  });
});

describe('decodeImagePayload', () => {
  const bad = (body: unknown, gist: RegExp) =>
    expect(thrown(() => decodeImagePayload(body, MAX))).toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(gist) as unknown,
    });

  it('refuses a body that is not a JSON object', () => {
    for (const body of [null, [], 'abc', 42]) bad(body, /Expected a JSON object \{ "image": "<base64>" \}/);
  });

  it('says what "image" was when it is not a string', () => {
    bad({}, /"image" to be a base64 string but it is missing/);
    bad({ image: null }, /but it is null/);
    bad({ image: 12 }, /but it is a number/);
    bad({ image: ['a'] }, /but it is an array/);
  });

  it('refuses characters outside the base64 alphabets instead of skipping them as Node does', () => {
    expect(Buffer.from('QUJD$$', 'base64')).toEqual(Buffer.from('ABC')); // what a lax decoder would make of it
    bad({ image: 'QUJD$$' }, /not valid base64/);
    bad({ image: 'QUJD RA%%' }, /not valid base64/);
  });

  it('refuses bad padding: a lone trailing character, or "=" in an unpadded length', () => {
    bad({ image: 'QUJDR' }, /not valid base64/);
    bad({ image: 'QUJ=D' }, /not valid base64/);
    bad({ image: 'QUJDRA=' }, /not valid base64/);
  });

  it('refuses a data URL that is not base64', () => {
    bad({ image: 'data:image/png,%89PNG' }, /Expected a base64 data URL/);
  });

  it('takes MIME line breaks, missing padding and the URL-safe alphabet', () => {
    const bytes = Buffer.from([251, 255, 190, 1, 2]);
    const wrapped = bytes.toString('base64').replace(/(.{4})/g, '$1\r\n');
    expect(decodeImagePayload({ image: wrapped }, MAX).bytes).toEqual(bytes);
    expect(decodeImagePayload({ image: bytes.toString('base64url') }, MAX).bytes).toEqual(bytes);
  });

  it('counts the limit in decoded bytes: file_too_large one byte over, accepted at it', () => {
    const at = Buffer.alloc(MAX, 1).toString('base64');
    expect(decodeImagePayload({ image: at }, MAX).bytes).toHaveLength(MAX);
    const over = Buffer.alloc(MAX + 1, 1).toString('base64');
    expect(thrown(() => decodeImagePayload({ image: over }, MAX))).toMatchObject({
      code: 'file_too_large',
      message: expect.stringMatching(/at most 64 bytes but "image" decodes to 65/) as unknown,
    });
  });
});
