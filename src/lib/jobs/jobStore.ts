/**
 * Jobs in Table storage, table `jobs`, one partition per job:
 *  - RowKey `job`: the job's state and counters, updated only with its ETag;
 *  - RowKey `r-<result id>`: one row per image that reached a terminal result, holding that
 *    result. Created (never upserted) in the same entity-group transaction that adds it to the
 *    counters, so an image is counted exactly once however often its outcome is reported, and
 *    the partition doubles as the job's result listing for exports.
 */
import type { TableClient, TableEntityResult, TransactionAction } from '@azure/data-tables';
import type { ClassificationResult } from '../results/result';
import type { StorageClients } from '../storage/clients';
import { storageNames } from '../storage/names';
import { isStatus } from '../storage/restErrors';
import { ClassifierError } from '../errors';
import { newJob, type Job } from './job';

export interface JobRecord {
  job: Job;
  etag: string;
}

const JOB_ROW = 'job';
const RESULT_ROW_PREFIX = 'r-';

type JobEntity = Omit<Job, 'id'> & { partitionKey: string; rowKey: string };

function toEntity(job: Job): JobEntity {
  const { id, ...rest } = job;
  const entity = { partitionKey: id, rowKey: JOB_ROW, ...rest } as JobEntity;
  for (const key of Object.keys(entity) as (keyof JobEntity)[]) {
    if (entity[key] === undefined) delete entity[key];
  }
  return entity;
}

function fromEntity(entity: TableEntityResult<Record<string, unknown>>): JobRecord {
  const { partitionKey, rowKey: _r, etag, timestamp: _t, 'odata.metadata': _m, ...rest } = entity;
  return { job: { ...(rest as unknown as Omit<Job, 'id'>), id: partitionKey! }, etag };
}

/** The row key of one image's terminal result in its job's partition. */
export const resultRowKey = (resultId: string): string => `${RESULT_ROW_PREFIX}${resultId}`;

/** A counted result row that a later outcome replaces (a replayed image that now succeeded). */
export interface RecountedResult {
  result: ClassificationResult;
  /** The row's ETag as read: the replace happens only at that version. */
  etag: string;
}

export interface ListJobResultsOptions {
  /** Where the previous page stopped (the SDK's opaque token). */
  continuationToken?: string;
  /** Rows per request (the service returns at most 1000). */
  pageSize?: number;
  abortSignal?: AbortSignal;
}

/** The one owner of table `jobs`: job rows and each job's counted results. */
export class JobStore {
  private readonly table: TableClient;

  constructor(storage: StorageClients) {
    this.table = storage.table(storageNames.jobsTable);
  }

  async get(id: string, options: { abortSignal?: AbortSignal } = {}): Promise<JobRecord | undefined> {
    try {
      return fromEntity(await this.table.getEntity(id, JOB_ROW, { abortSignal: options.abortSignal }));
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /**
   * Inserts a new job's row. Job ids are random UUIDs, so a 409 is either this very write, met
   * by the SDK's retry after its first answer was lost (done), or the failed row its first step
   * wrote when it gave up waiting for this one (`abandon`): then the job is not running.
   */
  async create(job: Job): Promise<void> {
    try {
      await this.table.createEntity(toEntity(job));
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
      const there = await this.get(job.id);
      if (there?.job.startedAt !== job.startedAt)
        throw new ClassifierError(
          'internal_error',
          'Storage took too long to record the job, and its first step gave it up; submit it again.',
          { retryable: true },
        );
    }
  }

  /**
   * Writes the row of a job whose first step has waited its last attempt for it: `failed`, so
   * a create landing even later cannot start it. False when the row is there after all.
   */
  async abandon(id: string, kind: Job['kind'], reason: string): Promise<boolean> {
    const now = new Date().toISOString();
    const job: Job = { ...newJob({ kind }), id, status: 'failed', reason, completedAt: now };
    try {
      await this.table.createEntity(toEntity(job));
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false;
      throw err;
    }
  }

  /** Marks a running job that cannot go on as `failed`, with the reason, so nobody waits for it forever. */
  async giveUp(id: string, reason: string): Promise<void> {
    const record = await this.get(id).catch(() => undefined);
    if (!record || record.job.status !== 'running') return;
    await this.update(
      { ...record.job, status: 'failed', reason, completedAt: new Date().toISOString() },
      record.etag,
    ).catch(() => undefined);
  }

  /** Replaces the job row if it is still at `etag`; the new ETag, or undefined after a lost race (412). */
  async update(job: Job, etag: string): Promise<string | undefined> {
    try {
      return (await this.table.updateEntity(toEntity(job), 'Replace', { etag })).etag;
    } catch (err) {
      if (isStatus(err, 412)) return undefined;
      throw err;
    }
  }

  /**
   * One transaction: create the result rows, replace the recounted ones at their ETags, and
   * replace the job row at `etag` (so all happen or none). Throws the service error: 412 when
   * the job row or a recounted row moved on, 409 when a result row already exists.
   */
  async commitResults(
    job: Job,
    etag: string,
    results: ClassificationResult[],
    recounted: RecountedResult[] = [],
  ): Promise<string> {
    const row = (r: ClassificationResult) => ({
      partitionKey: job.id,
      rowKey: resultRowKey(r.id),
      status: r.status,
      name: r.source.name,
      result: JSON.stringify(r),
    });
    const actions: TransactionAction[] = [
      ...results.map((r): TransactionAction => ['create', row(r)]),
      ...recounted.map((r): TransactionAction => ['update', row(r.result), 'Replace', { etag: r.etag }]),
    ];
    actions.push(['update', toEntity(job), 'Replace', { etag }]);
    const response = await this.table.submitTransaction(actions);
    return response.subResponses[response.subResponses.length - 1].etag ?? '';
  }

  /** The status and ETag of an image's counted result row in its job, or undefined when it is not counted. */
  async countedResult(
    jobId: string,
    resultId: string,
  ): Promise<{ status: string; etag: string } | undefined> {
    try {
      const row = await this.table.getEntity<{ status: string }>(jobId, resultRowKey(resultId), {
        queryOptions: { select: ['status'] },
      });
      return { status: row.status, etag: row.etag };
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Removes an image's copy from its job's results (DELETE of the result); gone already is fine. */
  async deleteCountedResult(jobId: string, resultId: string): Promise<void> {
    try {
      await this.table.deleteEntity(jobId, resultRowKey(resultId));
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
  }

  /**
   * The job's terminal results, one page per yield with the token to resume after it: a job of
   * any size is read one page (at most 1000 rows) at a time, never loaded whole.
   */
  async *listResults(
    jobId: string,
    options: ListJobResultsOptions = {},
  ): AsyncGenerator<{ results: ClassificationResult[]; continuationToken?: string }> {
    const filter = `PartitionKey eq '${jobId.replace(/'/g, "''")}' and RowKey gt '${RESULT_ROW_PREFIX}' and RowKey lt 'r.'`;
    const pages = this.table
      .listEntities<{ result: string }>({
        queryOptions: { filter, select: ['result'] },
        abortSignal: options.abortSignal,
      })
      .byPage({ maxPageSize: options.pageSize ?? 1000, continuationToken: options.continuationToken });
    for await (const page of pages) {
      yield {
        results: page.map((row) => JSON.parse(row.result) as ClassificationResult),
        continuationToken: page.continuationToken,
      };
    }
  }
}
