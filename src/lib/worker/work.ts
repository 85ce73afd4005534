/**
 * One unit of classification work, whichever door it came through: an Event Grid BlobCreated
 * event (drop folder, uploads) handled inline, or a `classify` queue message (a hand-off from
 * intake, or an image of a bulk job).
 */
import type { DecodeLimits } from '../decode/limits';
import type { BlobMessage, JobImage, JobImagesMessage } from '../queue/classifyMessage';
import type { BlobRef } from '../results/resultStore';

export interface BlobWork {
  /** The result id. */
  id: string;
  /** The blob and, for event-driven work, its version (ETag and sequencer). */
  blob: BlobRef;
  /** Size reported by the event: checked against the limits before any byte is read. */
  size?: number;
  contentType?: string;
  /** The bulk job the image was listed by. */
  jobId?: string;
  /** The model asked for (a job's); else the blob's `model` metadata, else the default. */
  model?: string;
  /** When the work was first seen (event time, or when the job listed it), for `timings.queueMs`. */
  since: string;
}

/** What every attempt needs to know, given by the function that runs it. */
export interface WorkOptions {
  limits: DecodeLimits;
  /** How long a claim holds before another delivery may take the row over (the host's functionTimeout). */
  leaseMs: number;
  /** The delivery: an Event Grid event id or a queue message id. */
  claimant: string;
  /** No retry follows this attempt: a runtime fault becomes the terminal `internal_error`. */
  lastAttempt: boolean;
}

export type WorkOutcome =
  | { outcome: 'succeeded' | 'failed'; result: import('../results/result').ClassificationResult }
  /** Already terminal for this version (a duplicate event or redelivery). */
  | { outcome: 'duplicate' }
  /** A newer version of the blob owns the row; this work is dropped. */
  | { outcome: 'superseded' }
  /** A drop-folder blob deleted before it was classified: no result is kept (its BlobDeleted removes any other trace). */
  | { outcome: 'deleted' }
  /** Another live delivery holds the claim until `leaseUntil`. */
  | { outcome: 'busy'; leaseUntil: string }
  /** The job was cancelled or stopped before this image started. */
  | { outcome: 'skipped' }
  /** Recorded as `queued` for the queue to finish (processBlob with `queueOnly`). */
  | { outcome: 'queued' };

export function workFromMessage(message: BlobMessage): BlobWork {
  return {
    id: message.resultId,
    blob: {
      container: message.container,
      name: message.blob,
      etag: message.etag,
      sequencer: message.sequencer,
    },
    size: message.size,
    since: message.enqueuedAt,
  };
}

export function jobImageWork(message: JobImagesMessage, image: JobImage): BlobWork {
  return {
    id: image.resultId,
    blob: { container: message.container, name: image.blob, etag: image.etag },
    jobId: message.jobId,
    model: message.model,
    since: message.enqueuedAt,
  };
}

export const queueMsSince = (since: string): number => Math.max(0, Date.now() - Date.parse(since));
