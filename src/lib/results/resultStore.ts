/**
 * Results in storage: one row per image in table `results` (the live status that clients
 * poll) and, once terminal, the same object as a JSON blob in container `results`.
 * Rows are updated with ETags (optimistic concurrency), so two workers or a duplicate event
 * can never overwrite each other's progress unnoticed: the loser gets a 412 and re-reads.
 */
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { ClassifierError } from '../errors';
import type { StorageClients } from '../storage/clients';
import { storageNames } from '../storage/names';
import { isStatus } from '../storage/restErrors';
import type { ClassificationResult } from './result';

/** Where an image's bytes live. */
export interface BlobRef {
  container: string;
  name: string;
  /** The blob version this row describes, without quotes; a new write to the same name is a new version. */
  etag?: string;
  /**
   * Event Grid's `data.sequencer` of that version: string order is write order for one blob
   * name, so an event for an older version is told apart from a newer one whatever the arrival order.
   */
  sequencer?: string;
}

/** A result row: the public result plus the bookkeeping the pipeline needs. */
export interface ResultRecord {
  result: ClassificationResult;
  blob?: BlobRef;
  /** While `processing`: until when the claim holds; after it, any delivery may take the row over. */
  leaseUntil?: string;
  /** While `processing`: the delivery (event or message id) that holds the claim and may resume it at once. */
  claimedBy?: string;
  /** Row ETag, for conditional updates. */
  etag: string;
}

/** An ETag as the service compares it: the same version whether it came quoted (headers) or bare (events, listings). */
export const bareEtag = (etag: string): string => etag.replace(/"/g, '');

/** Every result row's RowKey: one row per partition, the partition being the result id. */
const ROW_KEY = 'result';

const JSON_FIELDS = ['source', 'predictions', 'error', 'model', 'timings'] as const;

type ResultEntity = Record<string, string | number | boolean | undefined> & {
  partitionKey: string;
  rowKey: string;
};

/** A result as its row's properties (exported for the bench, which seeds rows in bulk). */
export function toEntity(
  result: ClassificationResult,
  blob?: BlobRef,
  claim: UpdateOptions = {},
): ResultEntity {
  const top = result.predictions?.[0];
  const entity: ResultEntity = {
    partitionKey: result.id,
    rowKey: ROW_KEY,
    id: result.id,
    status: result.status,
    createdAt: result.createdAt,
    completedAt: result.completedAt,
    jobId: result.jobId,
    reused: result.reused,
    // Plain copies for OData filters (docs/api.md): label, score, errorCode.
    label: top?.label,
    score: top?.score,
    errorCode: result.error?.code,
    blobContainer: blob?.container,
    blobName: blob?.name,
    blobEtag: blob?.etag === undefined ? undefined : bareEtag(blob.etag),
    blobSequencer: blob?.sequencer,
    leaseUntil: result.status === 'processing' ? claim.leaseUntil : undefined,
    claimedBy: result.status === 'processing' ? claim.claimedBy : undefined,
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
    id: str('id') ?? str('partitionKey')!,
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
    blob:
      container && name
        ? { container, name, etag: str('blobEtag'), sequencer: str('blobSequencer') }
        : undefined,
    leaseUntil: str('leaseUntil'),
    claimedBy: str('claimedBy'),
    etag: entity.etag,
  };
}

/** A result JSON blob as read back (ResultStore.readBlob). */
export interface StoredResultBlob {
  /** Undefined when the body is not a result. */
  result?: ClassificationResult;
  /** The JSON blob's own ETag, for a delete of that write only. */
  etag: string;
  /** The blob version it describes, from its metadata (absent on JSON blobs written before it was kept). */
  version: { etag?: string; sequencer?: string };
}

export interface UpdateOptions {
  /** While `processing`: when the claim expires. */
  leaseUntil?: string;
  /** While `processing`: who holds the claim. */
  claimedBy?: string;
}

export interface ListResultsOptions {
  /** An OData filter over the row's columns (status, createdAt, completedAt, jobId, errorCode, ...). */
  filter: string;
  /** Columns to read; the record then holds only those (a partial result). Default: all. */
  select?: string[];
  /** Rows per request (the service returns at most 1000). */
  pageSize?: number;
  abortSignal?: AbortSignal;
}

/** The one owner of table `results` and of the per-image JSON blobs in container `results`. */
export class ResultStore {
  private readonly table: TableClient;

  constructor(private readonly storage: StorageClients) {
    this.table = storage.table(storageNames.resultsTable);
  }

  async get(id: string, options: { abortSignal?: AbortSignal } = {}): Promise<ResultRecord | undefined> {
    try {
      return fromEntity(await this.table.getEntity(id, ROW_KEY, { abortSignal: options.abortSignal }));
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Creates the row and returns its ETag; undefined when it already exists. */
  async create(
    result: ClassificationResult,
    blob?: BlobRef,
    options: UpdateOptions = {},
  ): Promise<string | undefined> {
    const entity = toEntity(result, blob, options);
    try {
      return (await this.table.createEntity(entity)).etag;
    } catch (err) {
      if (isStatus(err, 409)) return this.landed(entity);
      throw err;
    }
  }

  /** Replaces the row if it is still at `etag` and returns the new ETag; undefined when someone else changed it first (412). */
  async update(
    result: ClassificationResult,
    etag: string,
    options: UpdateOptions & { blob?: BlobRef } = {},
  ): Promise<string | undefined> {
    const entity = toEntity(result, options.blob, options);
    try {
      return (await this.table.updateEntity(entity, 'Replace', { etag })).etag;
    } catch (err) {
      if (isStatus(err, 412)) return this.landed(entity);
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /**
   * After a 409 or 412: the row's ETag if it is exactly what this write put there, else undefined.
   * A write whose answer is lost (a dropped connection, a storage node failing over) is sent
   * again by the SDK's retry policy, which then meets the write itself: 409 for a create, 412
   * for a conditional replace. Taken for a lost race, the work would stop as superseded with
   * its row terminal and its JSON blob, search entry and job count never written (the chaos
   * run, issue 28, found two uploads so). Every row this app writes carries its own times
   * (completedAt, leaseUntil) and claimant, so another writer's row never matches it whole.
   */
  private async landed(entity: ResultEntity): Promise<string | undefined> {
    let stored: TableEntityResult<Record<string, unknown>>;
    try {
      stored = await this.table.getEntity(entity.partitionKey, entity.rowKey);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
    const written = Object.entries(entity).filter(([, value]) => value !== undefined);
    const storedKeys = Object.keys(stored).filter((key) => !/^(etag|timestamp|odata\.)/.test(key));
    const same =
      storedKeys.length === written.length && written.every(([key, value]) => stored[key] === value);
    return same ? stored.etag : undefined;
  }

  /** The rows a filter matches, one page per yield, decoded like get's: no listing is loaded whole. */
  async *list(options: ListResultsOptions): AsyncGenerator<ResultRecord[]> {
    const pages = this.table
      .listEntities<Record<string, unknown>>({
        queryOptions: { filter: options.filter, select: options.select },
        abortSignal: options.abortSignal,
      })
      .byPage({ maxPageSize: options.pageSize ?? 1000 });
    for await (const page of pages) yield page.map(fromEntity);
  }

  /**
   * Deletes a result row; gone already is fine. With `etag`, only that version: false when the
   * row has changed since (a newer result must not be swept with the old one's listing).
   */
  async delete(id: string, options: { abortSignal?: AbortSignal; etag?: string } = {}): Promise<boolean> {
    try {
      await this.table.deleteEntity(id, ROW_KEY, { abortSignal: options.abortSignal, etag: options.etag });
      return true;
    } catch (err) {
      if (isStatus(err, 404)) return true;
      if (options.etag && isStatus(err, 412)) return false;
      throw err;
    }
  }

  /**
   * Writes the result's JSON blob (none for a job's own images: see resultBlobName) and returns
   * its ETag. Its metadata names the blob version it describes (`blobetag`, `blobsequencer`), so
   * a drop-folder deletion can tell a JSON blob of the deleted version from a newer one's.
   *
   * With `replacing`, a JSON blob already there is read before it is replaced, and `replacing`
   * is called with it when it describes another version (to remove what only it still names).
   * The write is create-only first, so a name's first result still costs one request; a
   * rewritten blob's costs a read and a conditional write more.
   */
  async writeBlob(
    result: ClassificationResult,
    blob: BlobRef,
    options: { replacing?: (old: StoredResultBlob) => Promise<void> } = {},
  ): Promise<string | undefined> {
    const client = this.jsonBlob(result, blob);
    if (!client) return undefined;
    const body = JSON.stringify(result, null, 2);
    const metadata: Record<string, string> = {};
    if (blob.etag) metadata.blobetag = bareEtag(blob.etag);
    if (blob.sequencer) metadata.blobsequencer = blob.sequencer;
    const put = async (conditions?: { ifNoneMatch?: string; ifMatch?: string }) =>
      (
        await client.upload(body, Buffer.byteLength(body), {
          blobHTTPHeaders: { blobContentType: 'application/json' },
          metadata,
          conditions,
        })
      ).etag;
    if (!options.replacing) return put();
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        return await put({ ifNoneMatch: '*' });
      } catch (err) {
        if (!isStatus(err, 409) && !isStatus(err, 412)) throw err;
      }
      const old = await this.readBlob(blob);
      if (!old) continue; // deleted meanwhile: create it again
      const same =
        old.version.etag !== undefined && blob.etag !== undefined && old.version.etag === bareEtag(blob.etag);
      if (!same) await options.replacing(old);
      try {
        return await put({ ifMatch: old.etag });
      } catch (err) {
        if (!isStatus(err, 412) && !isStatus(err, 404)) throw err;
      }
    }
    throw new ClassifierError(
      'internal_error',
      `The JSON blob of ${blob.container}/${blob.name} kept changing while being written.`,
      { retryable: true },
    );
  }

  /**
   * The JSON blob stored for a drop-folder or upload blob name, whichever result wrote it last;
   * undefined when there is none. `result` is undefined when its body is not a result (never
   * written by this app): it can still be deleted by its ETag.
   */
  async readBlob(
    blob: Pick<BlobRef, 'container' | 'name'>,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<StoredResultBlob | undefined> {
    const client = this.storage.blobs
      .getContainerClient(storageNames.resultsContainer)
      .getBlockBlobClient(`${blob.container}/${blob.name}.json`);
    try {
      const response = await client.download(0, undefined, { abortSignal: options.abortSignal });
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody ?? []) chunks.push(chunk as Buffer);
      let result: ClassificationResult | undefined;
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ClassificationResult;
        result = typeof parsed?.id === 'string' && typeof parsed.status === 'string' ? parsed : undefined;
      } catch {
        result = undefined;
      }
      return {
        result,
        etag: response.etag!,
        version: { etag: response.metadata?.blobetag, sequencer: response.metadata?.blobsequencer },
      };
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Whether the result's JSON blob is there (true when it has none to have). */
  async hasBlob(
    result: ClassificationResult,
    blob: BlobRef,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<boolean> {
    return (await this.jsonBlob(result, blob)?.exists({ abortSignal: options.abortSignal })) ?? true;
  }

  /**
   * Deletes the result's JSON blob, if it has one; gone already is fine. With `etag`, only that
   * write of it: false when it has been written again since (by a newer result).
   */
  async deleteBlob(
    result: Pick<ClassificationResult, 'jobId'>,
    blob: Pick<BlobRef, 'container' | 'name'>,
    options: { abortSignal?: AbortSignal; etag?: string } = {},
  ): Promise<boolean> {
    try {
      await this.jsonBlob(result, blob)?.deleteIfExists({
        abortSignal: options.abortSignal,
        conditions: options.etag ? { ifMatch: options.etag } : undefined,
      });
      return true;
    } catch (err) {
      if (options.etag && isStatus(err, 412)) return false;
      throw err;
    }
  }

  /** The client of the result's JSON blob, or undefined when it has none (resultBlobName). */
  private jsonBlob(result: Pick<ClassificationResult, 'jobId'>, blob: Pick<BlobRef, 'container' | 'name'>) {
    const name = resultBlobName(result, blob);
    return name === undefined
      ? undefined
      : this.storage.blobs.getContainerClient(storageNames.resultsContainer).getBlockBlobClient(name);
  }
}

/**
 * Name of a result's JSON blob in container `results`: `<container>/<blob path>.json` for the
 * drop folder and uploads (one result per blob name). A job's images have none: their results
 * are kept under the job (its partition and its exports), so no two results ever share a name.
 */
export const resultBlobName = (
  result: Pick<ClassificationResult, 'jobId'>,
  blob: Pick<BlobRef, 'container' | 'name'>,
): string | undefined =>
  result.jobId !== undefined && blob.container !== storageNames.uploadsContainer
    ? undefined
    : `${blob.container}/${blob.name}.json`;
