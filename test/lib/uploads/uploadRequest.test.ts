/**
 * `POST /api/uploads` bodies at the boundary, with plain values: after parseUploadRequest the
 * name is a display string (no path, no control characters, at most 255 characters), the type
 * one the decoder reads, and the size within the limit; each refusal carries the contract's code
 * (CONTRACT.md: 400 bad_request, `size` 0 is empty_file, 413 file_too_large, 415 unsupported_format).
 */
import type { DecodeLimits } from '../../../src/lib/decode/limits';
import { displayName, parseUploadRequest } from '../../../src/lib/uploads/uploadRequest';
import { thrown } from '../../support/thrown';

const LIMITS: DecodeLimits = { maxBytes: 1000, maxPixels: 1_000_000 };
const valid = { fileName: 'cat.png', contentType: 'image/png', size: 500 };
const refused = (body: unknown) => thrown(() => parseUploadRequest(body, LIMITS));

describe('parseUploadRequest', () => {
  it('returns the request with the type lowercased and its parameters dropped', () => {
    const model = 'mobilenetv2-12-int8';
    const jobId = '6f9619ff-8b86-4d01-b42d-00c04fc964ff';
    expect(
      parseUploadRequest({ ...valid, contentType: ' IMAGE/JPEG; charset=binary', jobId, model }, LIMITS),
    ).toEqual({ fileName: 'cat.png', contentType: 'image/jpeg', size: 500, jobId, model });
  });

  it('takes every format the decoder reads, and only those (unsupported_format, naming them)', () => {
    for (const type of ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/tiff', 'image/avif'])
      expect(parseUploadRequest({ ...valid, contentType: type }, LIMITS).contentType).toBe(type);
    for (const type of ['image/svg+xml', 'text/html', 'application/octet-stream', 'image/bmp', ''])
      expect(refused({ ...valid, contentType: type })).toMatchObject({
        code: 'unsupported_format',
        message: expect.stringMatching(
          /is not an accepted image type; send one of image\/jpeg, image\/png/,
        ) as unknown,
      });
  });

  it('refuses a body that is not a JSON object', () => {
    for (const body of [null, [], 'cat.png', 3])
      expect(refused(body)).toMatchObject({
        code: 'bad_request',
        message: expect.stringMatching(/Send a JSON object/) as unknown,
      });
  });

  it('refuses missing or wrong-typed fields, naming the field', () => {
    expect(refused({ ...valid, fileName: 7 })).toMatchObject({
      code: 'bad_request',
      message: '"fileName" must be a string.',
    });
    expect(refused({ ...valid, contentType: undefined })).toMatchObject({
      code: 'bad_request',
      message: '"contentType" must be a string.',
    });
    for (const size of [undefined, '500', -1, 1.5, Number.NaN, 2 ** 53])
      expect(refused({ ...valid, size })).toMatchObject({
        code: 'bad_request',
        message: expect.stringMatching(/"size" must be the file size in bytes/) as unknown,
      });
    for (const jobId of [5, 'job-1', '../jobs'])
      expect(refused({ ...valid, jobId })).toMatchObject({
        code: 'bad_request',
        message: expect.stringMatching(/"jobId" must be the id of a job/) as unknown,
      });
    expect(refused({ ...valid, model: '../../etc/passwd' })).toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/"model" must be a model id/) as unknown,
    });
  });

  it('refuses a name that is nothing once paths and control characters are removed', () => {
    for (const fileName of ['', '   ', '../..', '/', '\u0000\u001f', '\\..\\.'])
      expect(refused({ ...valid, fileName })).toMatchObject({
        code: 'bad_request',
        message: expect.stringMatching(/"fileName" must name a file/) as unknown,
      });
  });

  it('answers size 0 with empty_file and a size over the limit with file_too_large; the limit itself is fine', () => {
    expect(refused({ ...valid, size: 0 })).toMatchObject({ code: 'empty_file' });
    expect(refused({ ...valid, size: 1001 })).toMatchObject({
      code: 'file_too_large',
      message: 'Expected at most 1000 bytes but "size" is 1001; send a smaller image.',
    });
    expect(parseUploadRequest({ ...valid, size: 1000 }, LIMITS).size).toBe(1000);
  });
});

describe('displayName', () => {
  it('keeps the last path segment, whichever the separator', () => {
    expect(displayName('../../etc/passwd.png')).toBe('passwd.png');
    expect(displayName('C:\\Users\\me\\cat.jpg')).toBe('cat.jpg');
    expect(displayName('holiday/./cat.jpg/..')).toBe('cat.jpg');
  });

  it('drops control characters (C0, DEL and C1) and surrounding spaces', () => {
    expect(displayName(' \tca\u0000t\u007f\u0085.png\n ')).toBe('cat.png');
  });

  it('cuts the name at 255 characters, not in the middle of one', () => {
    expect(displayName('a'.repeat(300))).toHaveLength(255);
    const emoji = '😺'.repeat(300);
    expect([...displayName(emoji)]).toHaveLength(255);
    expect(displayName(emoji)).toBe('😺'.repeat(255));
  });
});
