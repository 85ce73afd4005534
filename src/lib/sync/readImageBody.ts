/**
 * The image of a `POST /api/classify` request, in either accepted form: the raw bytes, or JSON
 * `{ "image": "<base64>" }`. Only the body's shape is decided here; whether the bytes are an
 * image is decided by the classifier from their magic bytes, whatever the Content-Type says
 * (docs/api.md, error codes: `unsupported_format`), so raw bytes with a missing or odd type (curl's default
 * application/x-www-form-urlencoded, text/plain) are classified, or refused as a bad image.
 */
import type { HttpInput } from '../http/httpTypes';
import { ClassifierError } from '../errors';
import { decodeImagePayload, jsonLimitFor } from './base64Image';
import { readBody } from '../http/readBody';

export interface ImageBody {
  bytes: Buffer;
  /** The declared type (Content-Type or the data URL's), kept on `failed` results. */
  contentType?: string;
}

export interface ReadImageBodyOptions {
  /** The classifier's byte limit; for base64 it applies to the decoded bytes. */
  maxBytes: number;
  abortSignal?: AbortSignal;
}

const ACCEPTED =
  'the image bytes (Content-Type image/* or application/octet-stream) or JSON { "image": "<base64>" }';

export async function readImageBody(request: HttpInput, options: ReadImageBodyOptions): Promise<ImageBody> {
  const contentType = mediaType(request.headers.get('content-type'));
  if (contentType === 'application/json' || contentType?.endsWith('+json')) {
    const text = await readBody(request, {
      maxBytes: jsonLimitFor(options.maxBytes),
      what: 'the JSON body',
      abortSignal: options.abortSignal,
    });
    return decodeImagePayload(parseJson(text), options.maxBytes);
  }
  // A form upload wraps the file in boundaries and fields; classifying that would only ever
  // answer "not an image", so say what to send instead.
  if (contentType === 'multipart/form-data') {
    throw new ClassifierError('unsupported_media_type', `Form uploads are not accepted; send ${ACCEPTED}.`);
  }
  const bytes = await readBody(request, { ...options, what: 'the image' });
  return { bytes, contentType };
}

function mediaType(header: string | null): string | undefined {
  const type = header?.split(';')[0].trim().toLowerCase();
  return type || undefined;
}

function parseJson(text: Buffer): unknown {
  try {
    return JSON.parse(text.toString('utf8')) as unknown;
  } catch {
    throw new ClassifierError('bad_request', `The request body is not valid JSON; send ${ACCEPTED}.`);
  }
}
