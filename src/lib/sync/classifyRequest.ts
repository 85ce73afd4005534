/**
 * `POST /api/classify`: one image in, its result object out, through the process-wide
 * classifier (the same session and micro-batcher as the queue worker). Nothing is stored.
 * At most CLASSIFIER_SYNC_CONCURRENCY (default 2) classify at once per process, so a burst of
 * anonymous requests cannot fill the classifier's decode slots ahead of the queue's work; the
 * time one waited for its turn is its `timings.queueMs`.
 */
import type { HttpInput } from '../http/httpTypes';
import { DEFAULT_TOP } from '../classify/classifier';
import { badRequest } from '../errors';
import { parseNumber } from '../numbers';
import { parseModelId } from '../model/manifest';
import { withTimeBefore, type ClassificationResult } from '../results/result';
import type { Services } from '../services';
import { displayName } from '../uploads/uploadRequest';
import { readImageBody } from './readImageBody';

export interface SyncQuery {
  /** Predictions to return, 1..1000 (default 5). */
  top: number;
  /** `source.name`: the sanitised `?name=`, else "upload". */
  name: string;
  /** `?model=`: a manifest id (default: the app's default model). */
  model?: string;
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
  return {
    top,
    name: displayName(query.get('name') ?? '') || 'upload',
    model: parseModelId(query.get('model')),
  };
}

/** Validates the query, reads the body within the byte limit, classifies. */
export async function classifyRequest(
  services: Pick<Services, 'models' | 'syncSlots' | 'telemetry'>,
  request: HttpInput,
  options: ClassifyRequestOptions = {},
): Promise<ClassificationResult> {
  const { model, ...input } = parseSyncQuery(request.query);
  // An unknown id is a 400 naming the known ones (Models throws it before loading anything).
  const classifier = await services.models.classifier(model);
  const started = performance.now();
  const body = await readImageBody(request, { maxBytes: classifier.limits.maxBytes, ...options });
  const readMs = performance.now() - started;
  let queueMs = 0;
  const result = await services.syncSlots.run(() => {
    queueMs = performance.now() - started - readMs;
    return classifier.classify(body.bytes, { ...input, contentType: body.contentType });
  });
  // Receiving the body is this route's "download", as reading the file is the CLI's.
  const answered = withTimeBefore(result, { queueMs, downloadMs: readMs });
  services.telemetry.record(answered, 'sync');
  return answered;
}
