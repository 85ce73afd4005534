/**
 * The one result shape (docs/api.md: one result shape everywhere): CLI output, the HTTP
 * answers, the `results` table row and the per-image JSON blob all carry these fields.
 */
import { randomUUID } from 'node:crypto';
import { toClassifierError, type ErrorCode } from '../errors';
import type { Computation } from '../model/int8Weights';

export type ResultStatus = 'awaiting_upload' | 'queued' | 'processing' | 'succeeded' | 'failed';
export const TERMINAL_STATUSES: readonly ResultStatus[] = ['succeeded', 'failed'];

export interface Prediction {
  label: string;
  classIndex: number;
  score: number;
}

export interface ResultSource {
  name: string;
  bytes?: number;
  sha256?: string;
  contentType?: string;
  width?: number;
  height?: number;
}

export interface ResultTimings {
  queueMs: number;
  downloadMs: number;
  decodeMs: number;
  inferMs: number;
  totalMs: number;
}

/** Which model answered: its manifest id, the sha256 of its pinned file, and how it computed. */
export interface ModelStamp {
  id: string;
  sha256: string;
  /**
   * `exact`: the model's own arithmetic, the same on every CPU; `saturating`: int8 products
   * clipped on this CPU (see model/int8Weights.ts). Set once classified; absent while queued
   * and on results stored before it existed.
   */
  computation?: Computation;
}

export interface ClassificationResult {
  id: string;
  status: ResultStatus;
  source: ResultSource;
  predictions?: Prediction[];
  error?: { code: ErrorCode; message: string };
  model: ModelStamp;
  timings: ResultTimings;
  createdAt: string;
  completedAt?: string;
  /** Set when the prediction was reused from an earlier run on the same bytes and model. */
  reused?: boolean;
  /** The batch job this image belongs to, if any. */
  jobId?: string;
  /** CLI only: the path as given. */
  file?: string;
}

export const zeroTimings = (): ResultTimings => ({
  queueMs: 0,
  downloadMs: 0,
  decodeMs: 0,
  inferMs: 0,
  totalMs: 0,
});

/** Highest k scores, highest first. */
export function topK(probabilities: Float32Array, labels: readonly string[], k: number): Prediction[] {
  const best: number[] = [];
  for (let i = 0; i < probabilities.length; i++) {
    if (best.length < k || probabilities[i] > probabilities[best[best.length - 1]]) {
      let at = best.length < k ? best.length : best.length - 1;
      while (at > 0 && probabilities[i] > probabilities[best[at - 1]]) at--;
      best.splice(at, 0, i);
      if (best.length > k) best.pop();
    }
  }
  return best.map((i) => ({
    label: labels[i] ?? `class ${i}`,
    classIndex: i,
    score: round(probabilities[i]),
  }));
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Milliseconds as results carry them: one decimal. */
export const roundMs = (ms: number): number => Math.round(ms * 10) / 10;

/** `result` moved to a terminal `failed` with `error`, its predictions dropped. */
export function asFailed(result: ClassificationResult, err: unknown): ClassificationResult {
  const { predictions: _p, reused: _r, ...rest } = result;
  return {
    ...rest,
    status: 'failed',
    error: toClassifierError(err).toJSON(),
    completedAt: new Date().toISOString(),
  };
}

/** The same result with the time spent before it (queue wait, download) added: `totalMs` is all three. */
export function withTimeBefore(
  result: ClassificationResult,
  before: { queueMs: number; downloadMs: number },
): ClassificationResult {
  const t = result.timings;
  return {
    ...result,
    timings: {
      ...t,
      queueMs: roundMs(before.queueMs),
      downloadMs: roundMs(before.downloadMs),
      totalMs: roundMs(before.queueMs + before.downloadMs + t.totalMs),
    },
  };
}

/** What a result starts from; everything else has its starting value (no predictions, zero timings). */
export interface NewResult {
  id?: string;
  status: ResultStatus;
  source: ResultSource;
  model: ClassificationResult['model'];
  /** Default: now. */
  createdAt?: string;
  jobId?: string;
}

/**
 * The one place a result comes into being, whatever its first state: `awaiting_upload` (an
 * upload URL handed out), `queued` (a blob seen), `processing` (the classifier starting).
 */
export function newResult(fields: NewResult): ClassificationResult {
  const result: ClassificationResult = {
    id: fields.id ?? randomUUID(),
    status: fields.status,
    source: fields.source,
    model: fields.model,
    timings: zeroTimings(),
    createdAt: fields.createdAt ?? new Date().toISOString(),
  };
  if (fields.jobId !== undefined) result.jobId = fields.jobId;
  return result;
}

/** A terminal `failed` result for an input that never reached the classifier. */
export function failedResult(
  source: ResultSource,
  err: unknown,
  model: ClassificationResult['model'],
  id?: string,
): ClassificationResult {
  const result = newResult({ id, status: 'failed', source, model });
  return { ...result, error: toClassifierError(err).toJSON(), completedAt: result.createdAt };
}
