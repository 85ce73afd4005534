/**
 * Claiming a blob's result row before the work starts. The row names the blob version it is
 * for (ETag and Event Grid sequencer), so the rules are the same for every delivery:
 *  - a row for a newer version (higher sequencer) wins: the work is superseded;
 *  - a row already terminal for this version: a duplicate;
 *  - a row `processing` for this version under another live claim: busy until its lease ends
 *    (the claimant itself, a redelivered event or message, resumes at once);
 *  - anything else is taken: `processing` with a lease, or straight to `failed` when the facts of
 *    the event already rule the blob out (empty, over the byte limit, larger than announced),
 *    without a byte of it being read.
 */
import { checkSize } from '../decode/validate';
import type { DecodeLimits } from '../decode/limits';
import { ClassifierError } from '../errors';
import { modelRef } from '../model/manifest';
import {
  asFailed,
  newResult,
  TERMINAL_STATUSES,
  zeroTimings,
  type ClassificationResult,
} from '../results/result';
import { bareEtag, type ResultRecord } from '../results/resultStore';
import type { Services } from '../services';
import type { BlobWork, WorkOptions } from './work';

export type Claim =
  | { kind: 'claimed' | 'rejected'; result: ClassificationResult; etag: string }
  | { kind: 'duplicate'; record: ResultRecord }
  | { kind: 'busy'; leaseUntil: string }
  | { kind: 'superseded' };

export interface ClaimOptions extends WorkOptions {
  /** The row is expected to exist (uploads): read it first instead of trying to create it. */
  readFirst: boolean;
  /** Record the version as `queued` without a lease: the work goes to the queue (the model is not loaded). */
  queueOnly?: boolean;
}

const ATTEMPTS = 5;

export async function claimBlob(
  services: Pick<Services, 'models' | 'results' | 'search'>,
  work: BlobWork,
  options: ClaimOptions,
): Promise<Claim> {
  const { results } = services;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // A new drop-folder blob has no row: one create claims it, no read needed.
    const record = attempt === 0 && !options.readFirst ? undefined : await results.get(work.id);
    const decision = decide(record, work, options.claimant);
    if (decision) return decision;
    const next = claimedResult(services, record?.result, work, options);
    const claim = {
      blob: work.blob,
      leaseUntil: new Date(Date.now() + options.leaseMs).toISOString(),
      claimedBy: options.claimant,
    };
    const etag = record
      ? await results.update(next, record.etag, claim)
      : await results.create(next, work.blob, claim);
    if (etag) {
      // A new version replaces a terminal result: the old one leaves the search index.
      if (record && TERMINAL_STATUSES.includes(record.result.status))
        await services.search.remove([record.result]);
      return { kind: next.status === 'failed' ? 'rejected' : 'claimed', result: next, etag };
    }
  }
  throw new ClassifierError('internal_error', `Result ${work.id} kept changing while being claimed.`, {
    retryable: true,
  });
}

/** Undefined: take the row. */
function decide(record: ResultRecord | undefined, work: BlobWork, claimant: string): Claim | undefined {
  if (!record) return undefined;
  if (isNewerVersion(record, work)) return { kind: 'superseded' };
  if (!isSameVersion(record, work)) return undefined;
  const { status } = record.result;
  if (TERMINAL_STATUSES.includes(status)) return { kind: 'duplicate', record };
  if (heldByAnother(record, claimant)) return { kind: 'busy', leaseUntil: record.leaseUntil! };
  return undefined;
}

/** `processing` under a lease that has not run out, taken by another delivery. */
export function heldByAnother(record: ResultRecord, claimant: string): boolean {
  const live = record.leaseUntil !== undefined && Date.parse(record.leaseUntil) > Date.now();
  return record.result.status === 'processing' && live && record.claimedBy !== claimant;
}

/** The row describes a later write of the blob than this work (Event Grid sequencers order writes of one name). */
export function isNewerVersion(record: ResultRecord, work: BlobWork): boolean {
  const mine = work.blob.sequencer;
  const theirs = record.blob?.sequencer;
  return mine !== undefined && theirs !== undefined && theirs > mine;
}

export function isSameVersion(record: ResultRecord, work: BlobWork): boolean {
  const theirs = record.blob?.etag;
  const mine = work.blob.etag;
  return theirs !== undefined && mine !== undefined && bareEtag(theirs) === bareEtag(mine);
}

/** The `model` of a result not classified yet; an id no manifest has keeps its name (the classification then fails it). */
function modelOf(services: Pick<Services, 'models'>, id: string | undefined): ClassificationResult['model'] {
  return id === undefined || services.models.has(id)
    ? modelRef(services.models.manifest(id))
    : { id, sha256: '' };
}

/** A fresh result for a blob never seen before. */
export function newBlobResult(services: Pick<Services, 'models'>, work: BlobWork): ClassificationResult {
  return newResult({
    id: work.id,
    status: 'queued',
    source: { name: work.blob.name, contentType: work.contentType },
    model: modelOf(services, work.model),
    createdAt: work.since,
    jobId: work.jobId,
  });
}

/** The row as this claim writes it: `processing` for this version, or `failed` from the event's facts. */
function claimedResult(
  services: Pick<Services, 'models'>,
  existing: ClassificationResult | undefined,
  work: BlobWork,
  options: ClaimOptions,
): ClassificationResult {
  const base = existing ?? newBlobResult(services, work);
  const announced = base.status === 'awaiting_upload' ? base.source.bytes : undefined;
  const { predictions: _p, error: _e, completedAt: _c, reused: _r, ...rest } = base;
  const processing: ClassificationResult = {
    ...rest,
    status: options.queueOnly ? 'queued' : 'processing',
    source: {
      name: base.source.name,
      bytes: work.size,
      contentType: base.source.contentType ?? work.contentType,
    },
    timings: zeroTimings(),
  };
  const rejection = factsRejection(work.size, announced, options.limits);
  return rejection ? asFailed(processing, rejection) : processing;
}

function factsRejection(
  size: number | undefined,
  announced: number | undefined,
  limits: DecodeLimits,
): ClassifierError | undefined {
  if (size === undefined) return undefined;
  try {
    checkSize(size, limits);
  } catch (err) {
    return err as ClassifierError;
  }
  if (announced !== undefined && size > announced) {
    return new ClassifierError(
      'file_too_large',
      `The upload has ${size} bytes but POST /api/uploads announced ${announced}; request a new upload URL with the real size.`,
    );
  }
  return undefined;
}
