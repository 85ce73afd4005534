import sharp from 'sharp';
import { decodeImage, type DecodeOptions } from '../../../src/lib/decode/decodeImage';
import { DEFAULT_LIMITS } from '../../../src/lib/decode/limits';
import { ClassifierError } from '../../../src/lib/errors';
import * as img from '../../support/images';

const options: DecodeOptions = {
  limits: DEFAULT_LIMITS,
  resize: 'crop',
  width: 224,
  height: 224,
  resizeShorterSide: 256,
};

async function codeOf(bytes: Buffer, opts: DecodeOptions = options): Promise<string> {
  try {
    await decodeImage(bytes, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ClassifierError);
    return (err as ClassifierError).code;
  }
  throw new Error('expected decodeImage to reject');
}

/** Mean absolute difference between two crops, 0-255. */
function meanDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('decodeImage', () => {
  it.each([
    [1, 9_000_000],
    [9_000_000, 1],
  ])(
    'decodes a valid %ix%i PNG (extreme aspect) to a crop of its middle, not corrupt_image',
    async (width, height) => {
      // Thirds along the long side: red, green, blue. The centre crop must be the green middle.
      const tall = width === 1;
      const size = tall ? { width: 1, height: height / 3 } : { width: width / 3, height: 1 };
      const png = await sharp({ create: { width, height, channels: 3, background: '#ff0000' } })
        .composite(
          ['#00ff00', '#0000ff'].map((background, i) => ({
            input: { create: { ...size, channels: 3 as const, background } },
            left: tall ? 0 : ((i + 1) * width) / 3,
            top: tall ? ((i + 1) * height) / 3 : 0,
          })),
        )
        .png()
        .toBuffer();
      const decoded = await decodeImage(png, options);
      expect(decoded).toMatchObject({ format: 'png', width, height });
      expect(decoded.pixels).toHaveLength(224 * 224 * 3);
      for (const i of [0, 224 * 112 + 112, 224 * 224 - 1])
        expect([...decoded.pixels.subarray(i * 3, i * 3 + 3)]).toEqual([0, 255, 0]);
    },
    90_000,
  );

  it.each(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const)(
    'decodes %s to a 224x224 RGB crop',
    async (format) => {
      const decoded = await decodeImage(await img.catAs(format), options);
      expect(decoded).toMatchObject({ format, width: 451, height: 300 });
      expect(decoded.pixels).toHaveLength(224 * 224 * 3);
    },
  );

  it('matches the reference crop for every lossless format', async () => {
    const reference = (await decodeImage(await img.catAs('png'), options)).pixels;
    expect(meanDiff((await decodeImage(await img.catAs('tiff'), options)).pixels, reference)).toBeLessThan(
      0.5,
    );
    expect(meanDiff((await decodeImage(await img.catAs('jpeg'), options)).pixels, reference)).toBeLessThan(4);
  });

  it('applies EXIF orientation before cropping', async () => {
    const upright = (await decodeImage(await img.catAs('jpeg'), options)).pixels;
    const stored = await img.catRotatedWithExif();
    const decoded = await decodeImage(stored, options);
    expect([decoded.width, decoded.height]).toEqual([451, 300]);
    expect(meanDiff(decoded.pixels, upright)).toBeLessThan(6);
    // The same bytes without their orientation tag are visibly different.
    const untagged = await sharp(stored).jpeg().toBuffer();
    const sideways = await decodeImage(untagged, options);
    expect(meanDiff(sideways.pixels, upright)).toBeGreaterThan(20);
  });

  it.each([
    ['CMYK JPEG', img.catCmykJpeg],
    ['greyscale PNG', img.catGreyPng],
    ['16-bit PNG', img.cat16BitPng],
    ['PNG with alpha', img.catAlphaPng],
  ])('turns a %s into 8-bit RGB', async (_name, make) => {
    const decoded = await decodeImage(await make(), options);
    expect(decoded.pixels).toHaveLength(224 * 224 * 3);
    expect(decoded.pixels.some((v) => v > 0)).toBe(true);
  });

  it('keeps grey as grey (R = G = B)', async () => {
    const { pixels } = await decodeImage(await img.catGreyPng(), options);
    for (let i = 0; i < pixels.length; i += 3 * 97)
      expect(new Set([pixels[i], pixels[i + 1], pixels[i + 2]]).size).toBe(1);
  });

  it.each(['gif', 'webp'] as const)('uses only the first frame of an animated %s', async (format) => {
    const bytes = await img.animatedCat(format);
    expect((await sharp(bytes).metadata()).pages).toBe(3);
    const animated = await decodeImage(bytes, options);
    const still = await decodeImage(await img.catAs('png'), options);
    expect([animated.width, animated.height]).toEqual([451, 300]);
    expect(meanDiff(animated.pixels, still.pixels)).toBeLessThan(format === 'gif' ? 12 : 8);
  });

  it('rejects zero bytes as empty_file', async () => {
    expect(await codeOf(Buffer.alloc(0))).toBe('empty_file');
  });

  it('rejects more bytes than the limit as file_too_large', async () => {
    const small = { ...options, limits: { ...DEFAULT_LIMITS, maxBytes: 1000 } };
    expect(await codeOf(await img.catAs('png'), small)).toBe('file_too_large');
    expect(await codeOf(Buffer.alloc(DEFAULT_LIMITS.maxBytes + 1, 0xff))).toBe('file_too_large');
  });

  it.each([
    ['SVG', img.SVG],
    ['HTML', img.HTML],
    ['text', img.TEXT],
    ['random bytes', img.randomBytes(4096)],
  ])('rejects %s as unsupported_format', async (_name, bytes) => {
    expect(await codeOf(bytes)).toBe('unsupported_format');
  });

  it('says what the unsupported bytes look like', async () => {
    await expect(decodeImage(img.SVG, options)).rejects.toThrow(/looks like SVG/);
  });

  it('rejects a PNG whose header declares 30000x30000 before decoding', async () => {
    await expect(decodeImage(img.pngWithHeader(30000, 30000), options)).rejects.toMatchObject({
      code: 'image_too_large',
      message: expect.stringContaining('30000x30000') as string,
    });
  });

  it('honours a lower pixel limit', async () => {
    const tight = { ...options, limits: { ...DEFAULT_LIMITS, maxPixels: 100_000 } };
    expect(await codeOf(await img.catAs('jpeg'), tight)).toBe('image_too_large');
  });

  it('rejects a truncated JPEG as corrupt_image', async () => {
    expect(await codeOf(await img.truncatedJpeg())).toBe('corrupt_image');
  });

  it('rejects a PNG header with no image data as corrupt_image', async () => {
    expect(await codeOf(img.pngWithHeader(100, 100))).toBe('corrupt_image');
  });

  it('rejects a JPEG signature followed by garbage as corrupt_image', async () => {
    expect(await codeOf(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), img.randomBytes(2000)]))).toBe(
      'corrupt_image',
    );
  });
});
