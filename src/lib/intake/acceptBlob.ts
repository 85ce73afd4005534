/**
 * A new blob in a watched container (upload or drop folder): check its real size and magic
 * bytes, then record `queued` and put a small message on `classify`. A bad blob is a
 * terminal `failed` result right here: it never costs a queue message or a retry.
 * Duplicate events (Event Grid is at-least-once) find the row already past `queued` for the
 * same blob version and stop; a row still `queued` is re-enqueued, because the event may be
 * a retry of an attempt that crashed before its message was sent (the worker drops the extra).
 */
import { checkBytes } from '../decode/validate';
import { limitsFromEnv } from '../decode/limits';
import { ClassifierError } from '../errors';
import { configuredManifest, modelRef } from '../model/manifest';
import { recordJobOutcome } from '../jobs/recordOutcome';
import { enqueueClassify } from '../queue/classifyMessage';
import { resultIdForBlob } from '../results/ids';
import { TERMINAL_STATUSES, zeroTimings, type ClassificationResult } from '../results/result';
import { createResult, getResult, updateResult, writeResultBlob, type BlobRef } from '../results/resultStore';

export interface AcceptedBlob {
  container: string;
  name: string;
  /** Size from the blob's properties (or the bytes the trigger delivered). */
  size: number;
  /** At least the first 32 bytes of the content. */
  head: Uint8Array;
  etag?: string;
  contentType?: string;
}

export type AcceptOutcome = 'queued' | 'rejected' | 'duplicate' | 'ignored';

export async function acceptBlob(blob: AcceptedBlob): Promise<{ id?: string; outcome: AcceptOutcome }> {
  const id = resultIdForBlob(blob.container, blob.name);
  // Only upload names this app handed out are classified; anything else written there is not ours.
  if (id === undefined) return { outcome: 'ignored' };
  const ref: BlobRef = { container: blob.container, name: blob.name, etag: blob.etag };

  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await getResult(id);
    if (
      existing &&
      existing.blob?.etag === blob.etag &&
      !['awaiting_upload', 'queued'].includes(existing.result.status)
    ) {
      // A retried event after a rejection: make sure the job counted it (idempotent).
      if (TERMINAL_STATUSES.includes(existing.result.status)) await recordJobOutcome(existing.result);
      return { id, outcome: 'duplicate' };
    }
    const rejection = validate(blob);
    const result = pending(existing?.result ?? newResult(id, blob), blob);
    if (rejection)
      Object.assign(result, {
        status: 'failed',
        error: rejection.toJSON(),
        completedAt: new Date().toISOString(),
      });
    const saved = existing
      ? await updateResult(result, existing.etag, { blob: ref })
      : await createResult(result, ref);
    if (!saved) continue; // lost a race with another event or the worker: look again
    if (rejection) {
      await writeResultBlob(result, ref);
      // Rejected here, it never reaches the worker: its job counts it now.
      await recordJobOutcome(result);
      return { id, outcome: 'rejected' };
    }
    await enqueueClassify({
      id,
      container: blob.container,
      blob: blob.name,
      etag: blob.etag,
      jobId: result.jobId,
    });
    return { id, outcome: 'queued' };
  }
  throw new Error(`Could not record blob ${blob.container}/${blob.name}: its result row kept changing.`);
}

function validate(blob: AcceptedBlob): ClassifierError | undefined {
  try {
    checkBytes(blob.head, blob.size, limitsFromEnv());
    return undefined;
  } catch (err) {
    if (err instanceof ClassifierError) return err;
    throw err;
  }
}

function newResult(id: string, blob: AcceptedBlob): ClassificationResult {
  return {
    id,
    status: 'queued',
    source: { name: blob.name, contentType: blob.contentType },
    model: modelRef(configuredManifest()),
    timings: zeroTimings(),
    createdAt: new Date().toISOString(),
  };
}

/** The row for this blob version, queued afresh (a rewrite of a name is classified again). */
function pending(result: ClassificationResult, blob: AcceptedBlob): ClassificationResult {
  const { predictions: _p, error: _e, completedAt: _c, reused: _r, ...rest } = result;
  return {
    ...rest,
    status: 'queued',
    source: {
      name: result.source.name,
      bytes: blob.size,
      contentType: result.source.contentType ?? blob.contentType,
    },
    timings: zeroTimings(),
  };
}
