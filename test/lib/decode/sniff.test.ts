import { sniffFormat } from '../../../src/lib/decode/sniff';
import * as img from '../../support/images';

describe('sniffFormat', () => {
  it.each(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const)(
    'recognises %s from its first bytes',
    async (format) => {
      expect(sniffFormat((await img.catAs(format)).subarray(0, 32))).toBe(format);
    },
  );

  it('does not take HEIC for AVIF', () => {
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic')]);
    expect(sniffFormat(heic)).toBeUndefined();
  });

  it.each([
    ['SVG', img.SVG],
    ['HTML', img.HTML],
    ['text', img.TEXT],
    ['empty', Buffer.alloc(0)],
    ['two bytes of a JPEG', Buffer.from([0xff, 0xd8])],
  ])('returns undefined for %s', (_name, bytes) => {
    expect(sniffFormat(bytes)).toBeUndefined();
  });
});
