/** Crafted hostile inputs, generated at test time (nothing stored). */
import { createDeflate } from 'node:zlib';
import sharp from 'sharp';
import { photo, CAT, pngChunk, PNG_SIGNATURE } from '../../support/images';

/** A real, fully valid greyscale PNG of width x height zeros: tiny on disk, huge decoded. */
export async function zeroPngBomb(width: number, height: number): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  const row = Buffer.alloc(width + 1); // filter byte 0 + zero pixels
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.concat(parts)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The cat as a PNG whose IDAT chunk carries a wrong CRC. */
export async function pngWithBadCrc(): Promise<Buffer> {
  const png = await sharp(photo(CAT)).resize(64).png().toBuffer();
  const out = Buffer.from(png);
  // Walk the chunks; corrupt the CRC of the first IDAT.
  for (let at = 8; at < out.length;) {
    const len = out.readUInt32BE(at);
    const type = out.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') {
      out.writeUInt32BE((out.readUInt32BE(at + 8 + len) ^ 0xdeadbeef) >>> 0, at + 8 + len);
      return out;
    }
    at += 12 + len;
  }
  throw new Error('no IDAT');
}

/** The cat as a JPEG whose SOF header declares width x height instead of its real size. */
export async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await sharp(photo(CAT)).jpeg().toBuffer());
  for (let at = 2; at < jpeg.length;) {
    const marker = jpeg.readUInt16BE(at);
    const len = jpeg.readUInt16BE(at + 2);
    if (marker >= 0xffc0 && marker <= 0xffc3) {
      jpeg.writeUInt16BE(height, at + 5);
      jpeg.writeUInt16BE(width, at + 7);
      return jpeg;
    }
    at += 2 + len;
  }
  throw new Error('no SOF');
}

/** The cat JPEG with `count` maximal APP1 "Exif" segments of junk right after SOI. */
export async function jpegWithHugeExif(count: number): Promise<Buffer> {
  const jpeg = await sharp(photo(CAT)).resize(200).jpeg().toBuffer();
  const segment = Buffer.alloc(65535 + 2, 0x41);
  segment.writeUInt16BE(0xffe1, 0);
  segment.writeUInt16BE(65535, 2);
  segment.write('Exif\0\0MM\0*', 4, 'latin1'); // a TIFF header whose IFD offset points nowhere sane
  return Buffer.concat([
    jpeg.subarray(0, 2),
    ...Array.from({ length: count }, () => segment),
    jpeg.subarray(2),
  ]);
}

/** A valid GIF whose comment extension is an HTML/JS payload (a GIF/HTML polyglot). */
export async function gifHtmlPolyglot(): Promise<Buffer> {
  const gif = await sharp(photo(CAT)).resize(64).gif().toBuffer();
  const payload = Buffer.from('<script>alert(document.cookie)</script><html><body>hi</body></html>');
  const comment = Buffer.concat([Buffer.from([0x21, 0xfe, payload.length]), payload, Buffer.from([0x00])]);
  // After the header (6), logical screen descriptor (7) and the global colour table, if any.
  const packed = gif[10];
  const gct = packed & 0x80 ? 3 * (1 << ((packed & 0x07) + 1)) : 0;
  const at = 13 + gct;
  return Buffer.concat([gif.subarray(0, at), comment, gif.subarray(at)]);
}

/** An HTML page that carries a GIF after it: starts as HTML, so it is not an image. */
export const htmlThenGif = (gif: Buffer): Buffer =>
  Buffer.concat([Buffer.from('<!doctype html><script>x</script>'), gif]);

/** An animated GIF of `frames` distinct small frames. */
export async function manyFrameGif(frames: number, side = 16): Promise<Buffer> {
  const frame = side * side * 4;
  const data = Buffer.alloc(frame * frames);
  for (let i = 0; i < frames; i++) data.fill(i % 251, i * frame, (i + 1) * frame);
  return sharp(data, { raw: { width: side, height: side * frames, channels: 4, pageHeight: side } })
    .gif({ loop: 0, delay: 10 })
    .toBuffer();
}

/** A GIF whose logical screen and single frame declare 65535x65535 (4.3 gigapixels). */
export function gifDeclaring(width: number, height: number): Buffer {
  const header = Buffer.from('GIF89a', 'latin1');
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  const image = Buffer.alloc(10);
  image[0] = 0x2c;
  image.writeUInt16LE(width, 5);
  image.writeUInt16LE(height, 7);
  const data = Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00, 0x3b]);
  return Buffer.concat([header, screen, image, data]);
}

export const svgWithExternalRefs = (url: string): Buffer =>
  Buffer.from(
    `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "${url}/entity">]>` +
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100">` +
      `<image href="${url}/image.png" width="100" height="100"/><use xlink:href="${url}/sprite.svg#a"/>` +
      `<style>@import url(${url}/style.css);</style><text>&x;</text></svg>`,
  );
