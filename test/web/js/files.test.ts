/** Which files the page sends (web/js/files.js): types from names, the limits the server gives. */
import {
  acceptAttribute,
  applyLimits,
  describeLimits,
  limits,
  pastedName,
  rejectionFor,
  typeOf,
} from '../../../web/js/files.js';

const DEFAULTS = { maxBytes: limits.maxBytes, types: [...limits.types] };
afterEach(() => applyLimits(DEFAULTS));

it('takes the declared type, its JPEG aliases, or the extension when none is declared', () => {
  expect(typeOf({ name: 'a.bin', type: 'image/PNG' })).toBe('image/png');
  expect(typeOf({ name: 'a.jpg', type: 'image/pjpeg' })).toBe('image/jpeg');
  expect(typeOf({ name: 'photo.AVIF', type: '' })).toBe('image/avif');
  expect(typeOf({ name: 'scan.tif', type: '' })).toBe('image/tiff');
  expect(typeOf({ name: 'notes', type: '' })).toBe('');
});

it('refuses what the server would: other types, empty files and files over the limit, saying what to do', () => {
  const file = (name: string, size: number) => ({ name, size });
  expect(rejectionFor(file('a.png', 10), 'image/png')).toBe('');
  expect(rejectionFor(file('notes.txt', 10), 'text/plain')).toMatch(/a text\/plain file\. Choose a JPEG/);
  expect(rejectionFor(file('x', 10), '')).toMatch(/of an unknown type/);
  expect(rejectionFor(file('a.png', 0), 'image/png')).toMatch(/empty \(0 bytes\)/);
  expect(rejectionFor(file('big.png', 21 * 1024 * 1024), 'image/png')).toBe(
    '“big.png” was not uploaded: it is 21.0 MiB, over the 20 MiB limit. Resize or compress it.',
  );
});

it("follows the server's limits once GET /api/limits answers, and ignores an answer that is not one", () => {
  expect(applyLimits({ maxBytes: 1024, types: ['image/png', 'image/webp'] })).toBe(true);
  expect(rejectionFor({ name: 'a.png', size: 2048 }, 'image/png')).toMatch(/over the 1.0 KiB limit/);
  expect(rejectionFor({ name: 'a.jpg', size: 10 }, 'image/jpeg')).toMatch(/image\/jpeg file/);
  expect(describeLimits()).toBe('PNG or WebP, up to 1.0 KiB each.');
  expect(acceptAttribute()).toBe('image/png,image/webp,.png,.webp');
  expect(applyLimits({ maxBytes: '5' })).toBe(false);
  expect(applyLimits(undefined)).toBe(false);
  expect(limits.maxBytes).toBe(1024);
});

it('names pasted images by their type', () => {
  expect(pastedName(3, 'image/jpeg')).toBe('pasted-3.jpg');
  expect(pastedName(1, 'image/png')).toBe('pasted-1.png');
});
