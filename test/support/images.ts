/**
 * Test inputs built at test time from ../shared/datasets/photos: every supported format and
 * the awkward variants (CMYK, grey, 16-bit, alpha, animation, EXIF rotation), plus the bad
 * inputs of the contract's error codes. Nothing here is a stored fixture.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

export const SHARED = path.resolve(__dirname, '../../../shared');
export const PHOTOS = path.join(SHARED, 'datasets/photos');
export const photo = (name: string): Buffer => readFileSync(path.join(PHOTOS, name));

/** The cat photo (Egyptian/tiger/tabby cat in the top classes). */
export const CAT = 'chelsea.png';
export const CAT_CLASSES = [281, 282, 285]; // tabby, tiger cat, Egyptian cat

export async function catAs(format: 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif'): Promise<Buffer> {
  const base = sharp(photo(CAT));
  switch (format) {
    case 'jpeg':
      return base.jpeg({ quality: 90 }).toBuffer();
    case 'png':
      return base.png().toBuffer();
    case 'webp':
      return base.webp({ quality: 90 }).toBuffer();
    case 'gif':
      return base.gif().toBuffer();
    case 'tiff':
      return base.tiff({ compression: 'lzw' }).toBuffer();
    case 'avif':
      return base.avif({ quality: 70, effort: 0 }).toBuffer();
  }
}

/** A 3-frame animation whose first frame is the cat and the others plain grey and white. */
export async function animatedCat(format: 'gif' | 'webp'): Promise<Buffer> {
  const { data, info } = await sharp(photo(CAT)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  // Distinct frames: encoders merge identical consecutive ones.
  const frames = Buffer.concat([data, Buffer.alloc(data.length, 90), Buffer.alloc(data.length, 200)]);
  const img = sharp(frames, {
    raw: { width: info.width, height: info.height * 3, channels: 4, pageHeight: info.height },
  });
  const opts = { loop: 0, delay: [100, 100, 100] };
  return format === 'gif' ? img.gif(opts).toBuffer() : img.webp(opts).toBuffer();
}

export const catCmykJpeg = (): Promise<Buffer> => sharp(photo(CAT)).toColourspace('cmyk').jpeg().toBuffer();
export const catGreyPng = (): Promise<Buffer> => sharp(photo(CAT)).greyscale().png().toBuffer();
export const cat16BitPng = (): Promise<Buffer> => sharp(photo(CAT)).toColourspace('rgb16').png().toBuffer();
export const catAlphaPng = (): Promise<Buffer> => sharp(photo(CAT)).ensureAlpha(0.6).png().toBuffer();

/** The cat stored rotated 90° counter-clockwise with EXIF orientation 6 ("rotate 90° CW to view"). */
export const catRotatedWithExif = (): Promise<Buffer> =>
  sharp(photo(CAT)).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toBuffer();

export const truncatedJpeg = async (): Promise<Buffer> => {
  const full = await catAs('jpeg');
  return full.subarray(0, Math.floor(full.length / 2));
};

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk: length, type, data, CRC (deliberately wrong with `badCrc`). */
export function pngChunk(type: string, data: Buffer, badCrc = false): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((crc32(body) ^ (badCrc ? 0xdeadbeef : 0)) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A valid PNG signature and IHDR declaring width x height, with a tiny (empty) IDAT. */
export function pngWithHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(0))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(buf: Buffer): number {
  let crc = ~0;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

export const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><image href="http://127.0.0.1:1/x.png"/></svg>',
);
export const HTML = Buffer.from('<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>');
export const TEXT = Buffer.from('hello, I am a text file renamed to .jpg\n');
/** Bytes that start with no known signature (fixed seed, so a failure reproduces). */
export function randomBytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = 0x2545f491;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  out[0] = 0x00;
  return out;
}

/** A PNG of one colour. */
export const solidPng = (rgb: [number, number, number], width = 64, height = 64): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();

/**
 * A wide PNG (600x100): red on both sides, green in the middle 100 pixels. A centre crop of
 * the shorter side sees only green; squashing the whole image into a square sees mostly red.
 */
export async function redSidesGreenMiddle(): Promise<Buffer> {
  const green = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#00ff00' } })
    .png()
    .toBuffer();
  return sharp({ create: { width: 600, height: 100, channels: 3, background: '#ff0000' } })
    .composite([{ input: green, left: 250, top: 0 }])
    .png()
    .toBuffer();
}
