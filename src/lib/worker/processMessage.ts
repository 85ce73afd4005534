/**
 * The queue worker: one `classify` message in, one terminal result out.
 * queued -> processing (claimed with an ETag, naming the message) -> succeeded | failed.
 * Redelivered or duplicate messages find the result already terminal for this blob version,
 * or claimed by another live message, and stop. Bad images fail on the first attempt;
 * only `internal_error` (storage hiccups, runtime faults) is thrown back to the queue for a
 * retry, and on the last attempt the row is marked failed before the message goes to poison.
 */
import { sharedClassifier } from '../classify/classifier';
import { rememberContent, reusedResult } from '../content/reuse';
import { ClassifierError, toClassifierError } from '../errors';
import { jobStopped } from '../jobs/jobStatusCache';
import { recordJobOutcome } from '../jobs/recordOutcome';
import { configuredManifest, modelRef } from '../model/manifest';
import type { ClassifyMessage } from '../queue/classifyMessage';
import { TERMINAL_STATUSES, zeroTimings, type ClassificationResult } from '../results/result';
import { getResult, updateResult, createResult, writeResultBlob, type BlobRef } from '../results/resultStore';
import { downloadImage } from './downloadImage';

export interface DeliveryInfo {
  /** The queue message id: the same across redeliveries of one message. */
  messageId: string;
  dequeueCount: number;
  maxDequeueCount: number;
}

export interface ProcessOutcome {
  outcome: 'succeeded' | 'failed' | 'duplicate' | 'skipped';
  /** The terminal result this delivery wrote (absent for duplicates and skips). */
  result?: ClassificationResult;
}

export async function processMessage(
  message: ClassifyMessage,
  delivery: DeliveryInfo,
): Promise<ProcessOutcome> {
  const blob: BlobRef = { container: message.container, name: message.blob, etag: message.etag };
  try {
    // A cancelled (or maxFailures-stopped) job's images that have not started are skipped.
    if (message.jobId && (await jobStopped(message.jobId))) return { outcome: 'skipped' };
    const claimed = await claim(message, blob, delivery);
    if (!claimed) {
      // The first attempt may have died between its result and its job count: count it now (idempotent).
      if (message.jobId) await recordIfTerminal(message.id);
      return { outcome: 'duplicate' };
    }
    const result = await classifyBlob(claimed.result, blob);
    if (result.error?.code === 'internal_error' && delivery.dequeueCount < delivery.maxDequeueCount) {
      throw new ClassifierError('internal_error', result.error.message, { retryable: true });
    }
    await finish(result, blob, claimed.etag);
    await recordJobOutcome(result);
    // Best effort: a lost index entry only costs classifying the same bytes again.
    await rememberContent(result).catch(() => undefined);
    return { outcome: result.status === 'succeeded' ? 'succeeded' : 'failed', result };
  } catch (err) {
    if (delivery.dequeueCount >= delivery.maxDequeueCount) await markFailed(message, blob, delivery, err);
    throw err;
  }
}

/** Moves the row to `processing` for this message; undefined when there is nothing to do. */
async function claim(
  message: ClassifyMessage,
  blob: BlobRef,
  delivery: DeliveryInfo,
): Promise<{ result: ClassificationResult; etag: string } | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const record = await getResult(message.id);
    if (record && record.blob?.etag === blob.etag) {
      if (TERMINAL_STATUSES.includes(record.result.status)) return undefined;
      if (record.result.status === 'processing' && record.processingBy !== delivery.messageId)
        return undefined;
    }
    const result: ClassificationResult = {
      ...(record?.result ?? placeholder(message)),
      status: 'processing',
      timings: { ...zeroTimings(), queueMs: Math.max(0, Date.now() - Date.parse(message.enqueuedAt)) },
    };
    const options = { blob, processingBy: delivery.messageId };
    const etag = record
      ? await updateResult(result, record.etag, options)
      : await createResult(result, blob, options);
    if (etag) return { result, etag };
  }
  throw new ClassifierError('internal_error', `Result ${message.id} kept changing while being claimed.`, {
    retryable: true,
  });
}

async function classifyBlob(claimed: ClassificationResult, blob: BlobRef): Promise<ClassificationResult> {
  const started = performance.now();
  let bytes: Buffer;
  try {
    bytes = await downloadImage(blob);
  } catch (err) {
    const error = toClassifierError(err);
    if (error.retryable) throw error;
    return { ...claimed, status: 'failed', error: error.toJSON(), completedAt: new Date().toISOString() };
  }
  const downloadMs = performance.now() - started;
  const classifier = await sharedClassifier();
  const reused = await reusedResult(claimed, bytes, {
    model: classifier.model,
    elapsedMs: claimed.timings.queueMs + downloadMs,
  });
  if (reused) return { ...reused, timings: { ...reused.timings, downloadMs: round(downloadMs) } };
  const fresh = await classifier.classify(bytes, { id: claimed.id, name: claimed.source.name });
  return {
    ...fresh,
    source: { ...claimed.source, ...fresh.source, name: claimed.source.name },
    createdAt: claimed.createdAt,
    jobId: claimed.jobId,
    timings: {
      ...fresh.timings,
      queueMs: claimed.timings.queueMs,
      downloadMs: round(downloadMs),
      totalMs: round(claimed.timings.queueMs + downloadMs + fresh.timings.totalMs),
    },
  };
}

/**
 * Writes the JSON blob, then the row (the row is what pollers see, so it goes last). The row
 * update is conditional on the claim's ETag: if another message took the row over meanwhile
 * (this attempt was presumed dead), this one throws and its redelivery finds the row terminal.
 */
async function finish(result: ClassificationResult, blob: BlobRef, claimEtag: string): Promise<void> {
  await writeResultBlob(result, blob);
  if (!(await updateResult(result, claimEtag, { blob }))) {
    throw new ClassifierError('internal_error', `Result ${result.id} changed while being classified.`, {
      retryable: true,
    });
  }
}

async function markFailed(
  message: ClassifyMessage,
  blob: BlobRef,
  delivery: DeliveryInfo,
  err: unknown,
): Promise<void> {
  const record = await getResult(message.id).catch(() => undefined);
  if (record && TERMINAL_STATUSES.includes(record.result.status)) return;
  const result: ClassificationResult = {
    ...(record?.result ?? placeholder(message)),
    status: 'failed',
    error: {
      code: 'internal_error',
      message: `Gave up after ${delivery.dequeueCount} attempts: ${toClassifierError(err).message}`,
    },
    completedAt: new Date().toISOString(),
  };
  delete result.predictions;
  await writeResultBlob(result, blob).catch(() => undefined);
  if (record) await updateResult(result, record.etag, { blob }).catch(() => undefined);
  else await createResult(result, blob).catch(() => undefined);
  await recordJobOutcome(result).catch(() => undefined);
}

async function recordIfTerminal(id: string): Promise<void> {
  const record = await getResult(id);
  if (record && TERMINAL_STATUSES.includes(record.result.status)) await recordJobOutcome(record.result);
}

function placeholder(message: ClassifyMessage): ClassificationResult {
  return {
    id: message.id,
    status: 'queued',
    source: { name: message.blob },
    model: modelRef(configuredManifest()),
    timings: zeroTimings(),
    createdAt: message.enqueuedAt,
    jobId: message.jobId,
  };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
