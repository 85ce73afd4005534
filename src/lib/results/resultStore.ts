/**
 * Results in storage: one row per image in table `results` (the live status that clients
 * poll) and, once terminal, the same object as a JSON blob in container `results`.
 * Rows are updated with ETags (optimistic concurrency), so two workers or a duplicate event
 * can never overwrite each other's progress unnoticed: the loser gets a 412 and re-reads.
 */
import type { TableEntityResult } from '@azure/data-tables';
import { storageClients } from '../storage/clients';
import { storageNames } from '../storage/names';
import { isStatus } from '../storage/restErrors';
import type { ClassificationResult } from './result';

/** Where an image's bytes live. */
export interface BlobRef {
  container: string;
  name: string;
  /** The blob version this row describes; a new write to the same name is a new version. */
  etag?: string;
}

/** A result row: the public result plus the bookkeeping the pipeline needs. */
export interface ResultRecord {
  result: ClassificationResult;
  blob?: BlobRef;
  /** Queue message that is currently processing this image (to tell a crashed attempt from a rival). */
  processingBy?: string;
  /** Row ETag, for conditional updates. */
  etag: string;
}

const JSON_FIELDS = ['source', 'predictions', 'error', 'model', 'timings'] as const;

type ResultEntity = Record<string, string | boolean | undefined> & { partitionKey: string; rowKey: string };

function toEntity(result: ClassificationResult, blob?: BlobRef, processingBy?: string): ResultEntity {
  const entity: ResultEntity = {
    partitionKey: result.id,
    rowKey: 'result',
    id: result.id,
    status: result.status,
    createdAt: result.createdAt,
    completedAt: result.completedAt,
    jobId: result.jobId,
    reused: result.reused,
    blobContainer: blob?.container,
    blobName: blob?.name,
    blobEtag: blob?.etag,
    processingBy,
  };
  for (const field of JSON_FIELDS) {
    if (result[field] !== undefined) entity[field] = JSON.stringify(result[field]);
  }
  return entity;
}

function fromEntity(entity: TableEntityResult<Record<string, unknown>>): ResultRecord {
  const str = (key: string): string | undefined =>
    typeof entity[key] === 'string' ? entity[key] : undefined;
  const json = <T>(key: string): T | undefined =>
    str(key) === undefined ? undefined : (JSON.parse(str(key)!) as T);
  const result: ClassificationResult = {
    id: str('id')!,
    status: str('status') as ClassificationResult['status'],
    source: json('source')!,
    predictions: json('predictions'),
    error: json('error'),
    model: json('model')!,
    timings: json('timings')!,
    createdAt: str('createdAt')!,
    completedAt: str('completedAt'),
    jobId: str('jobId'),
    reused: entity.reused === true ? true : undefined,
  };
  for (const key of Object.keys(result) as (keyof ClassificationResult)[]) {
    if (result[key] === undefined) delete result[key];
  }
  const container = str('blobContainer');
  const name = str('blobName');
  return {
    result,
    blob: container && name ? { container, name, etag: str('blobEtag') } : undefined,
    processingBy: str('processingBy'),
    etag: entity.etag,
  };
}

export interface UpdateOptions {
  /** The queue message now working on this row. */
  processingBy?: string;
}

const table = () => storageClients().table(storageNames.resultsTable);

export async function getResult(
  id: string,
  options: { abortSignal?: AbortSignal } = {},
): Promise<ResultRecord | undefined> {
  try {
    return fromEntity(await table().getEntity(id, 'result', { abortSignal: options.abortSignal }));
  } catch (err) {
    if (isStatus(err, 404)) return undefined;
    throw err;
  }
}

/** Creates the row and returns its ETag; undefined when it already exists. */
export async function createResult(
  result: ClassificationResult,
  blob?: BlobRef,
  options: UpdateOptions = {},
): Promise<string | undefined> {
  try {
    return (await table().createEntity(toEntity(result, blob, options.processingBy))).etag;
  } catch (err) {
    if (isStatus(err, 409)) return undefined;
    throw err;
  }
}

/** Replaces the row if it is still at `etag` and returns the new ETag; undefined when someone else changed it first (412). */
export async function updateResult(
  result: ClassificationResult,
  etag: string,
  options: UpdateOptions & { blob?: BlobRef } = {},
): Promise<string | undefined> {
  try {
    return (
      await table().updateEntity(toEntity(result, options.blob, options.processingBy), 'Replace', { etag })
    ).etag;
  } catch (err) {
    if (isStatus(err, 412) || isStatus(err, 404)) return undefined;
    throw err;
  }
}

/** Name of a result's JSON blob in container `results`: `<container>/<blob path>.json`. */
export const resultBlobName = (blob: BlobRef): string => `${blob.container}/${blob.name}.json`;

export async function writeResultBlob(result: ClassificationResult, blob: BlobRef): Promise<void> {
  const body = JSON.stringify(result, null, 2);
  await storageClients()
    .blobs.getContainerClient(storageNames.resultsContainer)
    .getBlockBlobClient(resultBlobName(blob))
    .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
}
