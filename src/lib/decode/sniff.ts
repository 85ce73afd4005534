/**
 * Decides an image's format from its first bytes, never from a name or a content type, so
 * that a text file called cat.jpg or an SVG sent as image/png is refused before any decoder
 * sees it. Only raster formats the classifier supports are recognised; everything else,
 * including SVG (which sharp could render, fetching external references) is `undefined`.
 */

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

export const FORMAT_MIME: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  avif: 'image/avif',
};

/** Bytes needed to tell every supported format apart. */
export const SNIFF_BYTES = 32;

const startsWith = (b: Uint8Array, sig: number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return 'tiff';
  if (isAvif(bytes)) return 'avif';
  return undefined;
}

/** ISO-BMFF `ftyp` box whose major or compatible brands include avif/avis (HEIC is not AVIF). */
function isAvif(b: Uint8Array): boolean {
  if (!startsWith(b, ascii('ftyp'), 4)) return false;
  const boxSize = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const end = Math.min(boxSize, b.length);
  for (let at = 8; at + 4 <= end; at += 4) {
    if (at === 12) continue; // minor version, not a brand
    if (startsWith(b, ascii('avif'), at) || startsWith(b, ascii('avis'), at)) return true;
  }
  return false;
}
