/**
 * The JSON form of a sync classify request, `{ "image": "<base64>" }`, as the seed project's
 * client sent it (a canvas or FileReader data URL, so a `data:image/jpeg;base64,` prefix is
 * accepted). The base64 is checked strictly: Node's decoder silently skips characters it does
 * not know, which would turn a garbled string into a "corrupt image" instead of a bad request.
 */
import { ClassifierError } from '../errors';

export interface ImagePayload {
  bytes: Buffer;
  /** The data URL's media type, if one was given (a hint only; the bytes decide the format). */
  contentType?: string;
}

// Standard or URL-safe alphabet (Node decodes both), optional padding.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const DATA_URL = /^data:([^,;]*)((?:;[^,;]*)*),/i;

/**
 * JSON text allowed for an image of `maxBytes`: base64's 4/3, plus 3% for escaped line breaks
 * (MIME encoders such as `base64` wrap every 76 characters), plus 64 KiB for the envelope.
 */
export const jsonLimitFor = (maxBytes: number): number =>
  Math.ceil(Math.ceil(maxBytes / 3) * 4 * 1.03) + 64 * 1024;

/** Validates the parsed JSON body and decodes its image; `file_too_large` counts decoded bytes. */
export function decodeImagePayload(body: unknown, maxBytes: number): ImagePayload {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('Expected a JSON object { "image": "<base64>" }.');
  const { image } = body as Record<string, unknown>;
  if (typeof image !== 'string')
    throw badRequest(`Expected "image" to be a base64 string but it is ${describe(image)}.`);
  let data = image;
  let contentType: string | undefined;
  const dataUrl = DATA_URL.exec(image);
  if (dataUrl) {
    if (!/;base64$/i.test(dataUrl[2]))
      throw badRequest('Expected a base64 data URL ("data:image/jpeg;base64,..."); others are not accepted.');
    contentType = dataUrl[1].toLowerCase() || undefined;
    data = image.slice(dataUrl[0].length);
  }
  data = data.replace(/\s+/g, '');
  if (!BASE64.test(data) || data.length % 4 === 1 || (data.includes('=') && data.length % 4 !== 0))
    throw badRequest('"image" is not valid base64 (characters outside A-Z a-z 0-9 + / or bad padding).');
  const decodedBytes = Math.floor((data.length * 3) / 4) - (data.match(/=/g)?.length ?? 0);
  if (decodedBytes > maxBytes) {
    throw new ClassifierError(
      'file_too_large',
      `Expected at most ${maxBytes} bytes but "image" decodes to ${decodedBytes}; send a smaller image.`,
    );
  }
  return { bytes: Buffer.from(data, 'base64'), contentType };
}

const badRequest = (message: string): ClassifierError => new ClassifierError('bad_request', message);

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
