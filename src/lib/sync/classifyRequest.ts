/**
 * `POST /api/classify`: one image in, its result object out, through the process-wide
 * classifier (the same session and micro-batcher as the queue worker). Nothing is stored.
 */
import type { HttpInput } from '../http/httpTypes';
import { DEFAULT_TOP, sharedClassifier } from '../classify/classifier';
import { badRequest } from '../errors';
import { parseNumber } from '../numbers';
import type { ClassificationResult } from '../results/result';
import { displayName } from '../uploads/uploadRequest';
import { readImageBody } from './readImageBody';

export interface SyncQuery {
  /** Predictions to return, 1..1000 (default 5). */
  top: number;
  /** `source.name`: the sanitised `?name=`, else "upload". */
  name: string;
}

export interface ClassifyRequestOptions {
  abortSignal?: AbortSignal;
}

/** The model's class count: asking for more predictions than classes is a mistake, not a wish. */
const MAX_TOP = 1000;

export function parseSyncQuery(query: URLSearchParams): SyncQuery {
  const rawTop = query.get('top');
  const top =
    rawTop === null ? DEFAULT_TOP : parseNumber(rawTop, 'top', { min: 1, max: MAX_TOP }, badRequest);
  return { top, name: displayName(query.get('name') ?? '') || 'upload' };
}

/** Validates the query, reads the body within the byte limit, classifies. */
export async function classifyRequest(
  request: HttpInput,
  options: ClassifyRequestOptions = {},
): Promise<ClassificationResult> {
  const query = parseSyncQuery(request.query);
  const classifier = await sharedClassifier();
  const started = performance.now();
  const body = await readImageBody(request, { maxBytes: classifier.limits.maxBytes, ...options });
  const readMs = performance.now() - started;
  const result = await classifier.classify(body.bytes, { ...query, contentType: body.contentType });
  // Receiving the body is this route's "download", as reading the file is the CLI's.
  result.timings.downloadMs = round(readMs);
  result.timings.totalMs = round(result.timings.totalMs + readMs);
  return result;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
