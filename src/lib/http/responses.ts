/**
 * HTTP plumbing shared by the HTTP functions: the contract's error JSON with the right status,
 * and JSON bodies read with a byte cap before parsing.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { ClassifierError, toClassifierError, type ErrorCode } from '../errors';

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  empty_file: 400,
  unauthorized: 401,
  not_found: 404,
  file_too_large: 413,
  unsupported_format: 415,
  image_too_large: 422,
  corrupt_image: 422,
  blob_not_found: 404,
};

export const json = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponseInit => ({
  status,
  jsonBody: body,
  headers: { 'cache-control': 'no-store', ...headers },
});

/** `{ error: { code, message } }` with the status the contract gives the code (500 for anything unexpected). */
export function errorResponse(err: unknown): HttpResponseInit {
  const error = toClassifierError(err);
  const status = STATUS[error.code] ?? 500;
  const message =
    status === 500
      ? 'The server failed unexpectedly; try again, and report it if it persists.'
      : error.message;
  return json(status, { error: { code: error.code, message } });
}

export const notFound = (what: string): HttpResponseInit =>
  errorResponse(new ClassifierError('not_found', `${what} was not found.`));

/** Parses a JSON body of at most `maxBytes`; malformed or oversized bodies become 400 / 413. */
export async function readJson(request: HttpRequest, maxBytes = 64 * 1024): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > maxBytes)
    throw new ClassifierError('file_too_large', `The request body is over ${maxBytes} bytes.`);
  const text = await request.text();
  if (Buffer.byteLength(text) > maxBytes)
    throw new ClassifierError('file_too_large', `The request body is over ${maxBytes} bytes.`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ClassifierError('bad_request', 'The request body is not valid JSON.');
  }
}

/** The app's public origin as the caller reached it (for absolute URLs in answers). */
export function baseUrl(request: HttpRequest): string {
  return new URL(request.url).origin;
}
