/**
 * Cheap checks on raw bytes, shared by every entry point (CLI, blob trigger, sync HTTP):
 * empty, too many bytes, not a supported raster format. No pixel is decoded here.
 */
import { ClassifierError } from '../errors';
import type { DecodeLimits } from './limits';
import { sniffFormat, type ImageFormat } from './sniff';

export function checkSize(bytes: number, limits: DecodeLimits): void {
  if (bytes === 0)
    throw new ClassifierError('empty_file', 'The file is empty (0 bytes); send an image file.');
  if (bytes > limits.maxBytes) {
    throw new ClassifierError(
      'file_too_large',
      `Expected at most ${limits.maxBytes} bytes but the file has ${bytes}; send a smaller image.`,
    );
  }
}

/** Size and magic-byte check; `head` may be only the first bytes of the file. */
export function checkBytes(head: Uint8Array, totalBytes: number, limits: DecodeLimits): ImageFormat {
  checkSize(totalBytes, limits);
  const format = sniffFormat(head);
  if (!format) {
    throw new ClassifierError(
      'unsupported_format',
      `The content is not a JPEG, PNG, WebP, GIF, TIFF or AVIF image (${describeBytes(head)}); ` +
        'the file name and content type are not trusted.',
    );
  }
  return format;
}

function describeBytes(head: Uint8Array): string {
  const text = Buffer.from(head.subarray(0, 64)).toString('latin1').trimStart().toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('svg')))
    return 'it looks like SVG';
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) return 'it looks like HTML';
  if (text.startsWith('<?xml')) return 'it looks like XML';
  if (text.startsWith('%pdf')) return 'it looks like PDF';
  return `it starts with bytes ${Buffer.from(head.subarray(0, 8)).toString('hex') || '(none)'}`;
}
