/**
 * HTTP plumbing shared by the HTTP functions: the contract's error JSON with the right status,
 * and JSON bodies read with a byte cap (by the one streaming reader) before parsing.
 */
import { ClassifierError, toClassifierError, type ErrorCode } from '../errors';
import type { HttpAnswer, HttpInput } from './httpTypes';
import { readBody } from './readBody';

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  empty_file: 400,
  unauthorized: 401,
  not_found: 404,
  file_too_large: 413,
  unsupported_format: 415,
  unsupported_media_type: 415,
  image_too_large: 422,
  corrupt_image: 422,
  blob_not_found: 404,
};

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer => ({
  status,
  jsonBody: body,
  headers: { 'cache-control': 'no-store', ...headers },
});

/** `{ error: { code, message } }` with the status the contract gives the code (500 for anything unexpected). */
export function errorResponse(err: unknown): HttpAnswer {
  const error = toClassifierError(err);
  const status = STATUS[error.code] ?? 500;
  const message =
    status === 500
      ? 'The server failed unexpectedly; try again, and report it if it persists.'
      : error.message;
  return json(status, { error: { code: error.code, message } });
}

export const notFound = (what: string): HttpAnswer =>
  errorResponse(new ClassifierError('not_found', `${what} was not found.`));

/** Parses a JSON body of at most `maxBytes`, never holding more; malformed or oversized bodies become 400 / 413. */
export async function readJson(request: HttpInput, maxBytes = 64 * 1024): Promise<unknown> {
  const bytes = await readBody(request, { maxBytes, what: 'the JSON body' });
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new ClassifierError('bad_request', 'The request body is not valid JSON.');
  }
}

/** The app's public origin as the caller reached it (for absolute URLs in answers). */
export function baseUrl(request: Pick<HttpInput, 'url'>): string {
  return new URL(request.url).origin;
}
