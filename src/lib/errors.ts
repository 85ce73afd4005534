/**
 * The one error type of the project. Every failure, whether from bad bytes, storage or the model,
 * becomes a ClassifierError carrying one of the contract's stable codes, so that callers map it
 * to a `failed` result or an HTTP answer without string matching.
 */

/** Codes a `failed` result can carry (docs/api.md: the error code table). */
export const IMAGE_ERROR_CODES = [
  'empty_file',
  'file_too_large',
  'unsupported_format',
  'image_too_large',
  'corrupt_image',
  'blob_not_found',
  'internal_error',
] as const;
export type ImageErrorCode = (typeof IMAGE_ERROR_CODES)[number];

/**
 * Codes only HTTP answers carry. `unsupported_media_type` (415) is a request body of a kind the
 * route does not take (a multipart form), told apart from `unsupported_format` (bytes that are
 * not an image), so a client knows to change how it sends, not what.
 */
export type HttpErrorCode = 'bad_request' | 'not_found' | 'unauthorized' | 'unsupported_media_type';
export type ErrorCode = ImageErrorCode | HttpErrorCode;

export interface ClassifierErrorOptions {
  /** True when trying again later may succeed (storage hiccup); bad input is never retryable. */
  retryable?: boolean;
  cause?: unknown;
}

export class ClassifierError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: ClassifierErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'ClassifierError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** A `bad_request` (400): what a boundary throws for input it refuses. */
export const badRequest = (message: string): ClassifierError => new ClassifierError('bad_request', message);

/** Turns anything caught into a ClassifierError; unknown failures are `internal_error` and retryable. */
export function toClassifierError(err: unknown): ClassifierError {
  if (err instanceof ClassifierError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ClassifierError('internal_error', `Unexpected failure: ${message}`, {
    retryable: true,
    cause: err,
  });
}

export function isImageErrorCode(code: string): code is ImageErrorCode {
  return (IMAGE_ERROR_CODES as readonly string[]).includes(code);
}
