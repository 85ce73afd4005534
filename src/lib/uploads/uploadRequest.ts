/**
 * Validation of `POST /api/uploads` bodies, at the boundary: after this the name is a safe
 * display string, the type one we decode, and the size within the limit.
 */
import { FORMAT_MIME } from '../decode/sniff';
import type { DecodeLimits } from '../decode/limits';
import { ClassifierError } from '../errors';
import { isJobId } from '../jobs/job';
import { parseModelId } from '../model/manifest';

export interface UploadRequest {
  fileName: string;
  contentType: string;
  size: number;
  jobId?: string;
  /** The model to classify with (default: the upload job's, else the app's default). */
  model?: string;
}

const ACCEPTED_TYPES = new Set<string>(Object.values(FORMAT_MIME));
const MAX_NAME_LENGTH = 255;

export function parseUploadRequest(body: unknown, limits: DecodeLimits): UploadRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ClassifierError('bad_request', 'Send a JSON object: { "fileName", "contentType", "size" }.');
  }
  const { fileName, contentType, size, jobId, model } = body as Record<string, unknown>;
  if (typeof fileName !== 'string') throw new ClassifierError('bad_request', '"fileName" must be a string.');
  if (typeof contentType !== 'string')
    throw new ClassifierError('bad_request', '"contentType" must be a string.');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ClassifierError('bad_request', '"size" must be the file size in bytes, a whole number.');
  }
  if (jobId !== undefined && (typeof jobId !== 'string' || !isJobId(jobId)))
    throw new ClassifierError('bad_request', '"jobId" must be the id of a job from POST /api/jobs.');
  const name = displayName(fileName);
  if (!name)
    throw new ClassifierError(
      'bad_request',
      '"fileName" must name a file (it was empty after removing paths and control characters).',
    );
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (!ACCEPTED_TYPES.has(type)) {
    throw new ClassifierError(
      'unsupported_format',
      `"${contentType.slice(0, 100)}" is not an accepted image type; send one of ${[...ACCEPTED_TYPES].join(', ')}.`,
    );
  }
  if (size === 0)
    throw new ClassifierError('empty_file', 'The file is empty (size 0); choose an image file.');
  if (size > limits.maxBytes) {
    throw new ClassifierError(
      'file_too_large',
      `Expected at most ${limits.maxBytes} bytes but "size" is ${size}; send a smaller image.`,
    );
  }
  return { fileName: name, contentType: type, size, jobId, model: parseModelId(model) };
}

/**
 * The name as shown back to people: the last path segment (no "../" games), without control
 * characters, at most 255 characters. It is only ever data, never a storage path.
 */
export function displayName(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = raw.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  const base =
    clean
      .split(/[\\/]/)
      .filter((s) => s !== '' && s !== '.' && s !== '..')
      .pop() ?? '';
  return [...base].slice(0, MAX_NAME_LENGTH).join('');
}
