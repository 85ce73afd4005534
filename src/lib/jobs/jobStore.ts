/**
 * Jobs in Table storage, table `jobs`, one partition per job:
 *  - RowKey `job`: the job's state and counters, updated only with its ETag;
 *  - RowKey `r-<result id>`: one row per image that reached a terminal result, holding that
 *    result. Created (never upserted) in the same entity-group transaction that adds it to the
 *    counters, so an image is counted exactly once however often its outcome is reported, and
 *    the partition doubles as the job's result listing for exports.
 */
import type { TableEntityResult, TransactionAction } from '@azure/data-tables';
import type { ClassificationResult } from '../results/result';
import { storageClients } from '../storage/clients';
import { storageNames } from '../storage/names';
import { isStatus } from '../storage/restErrors';
import type { Job } from './job';

export interface JobRecord {
  job: Job;
  etag: string;
}

const JOB_ROW = 'job';
const RESULT_ROW_PREFIX = 'r-';
const table = () => storageClients().table(storageNames.jobsTable);

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

export async function getJob(
  id: string,
  options: { abortSignal?: AbortSignal } = {},
): Promise<JobRecord | undefined> {
  try {
    return fromEntity(await table().getEntity(id, JOB_ROW, { abortSignal: options.abortSignal }));
  } catch (err) {
    if (isStatus(err, 404)) return undefined;
    throw err;
  }
}

export async function createJob(job: Job): Promise<void> {
  await table().createEntity(toEntity(job));
}

/** Replaces the job row if it is still at `etag`; the new ETag, or undefined after a lost race (412). */
export async function updateJob(job: Job, etag: string): Promise<string | undefined> {
  try {
    return (await table().updateEntity(toEntity(job), 'Replace', { etag })).etag;
  } catch (err) {
    if (isStatus(err, 412)) return undefined;
    throw err;
  }
}

/** The row key of one image's terminal result in its job's partition. */
export const resultRowKey = (resultId: string): string => `${RESULT_ROW_PREFIX}${resultId}`;

/**
 * One transaction: create the result rows and replace the job row at `etag` (so both happen
 * or neither). Throws the service error: 412 when the job row moved on, 409 when a result row
 * already exists (its index in the batch is the number before ":" in the message).
 */
export async function commitResults(
  job: Job,
  etag: string,
  results: ClassificationResult[],
): Promise<string> {
  const actions: TransactionAction[] = results.map((r) => [
    'create',
    {
      partitionKey: job.id,
      rowKey: resultRowKey(r.id),
      status: r.status,
      name: r.source.name,
      result: JSON.stringify(r),
    },
  ]);
  actions.push(['update', toEntity(job), 'Replace', { etag }]);
  const response = await table().submitTransaction(actions);
  return response.subResponses[response.subResponses.length - 1].etag ?? '';
}

export async function hasResultRow(jobId: string, resultId: string): Promise<boolean> {
  try {
    await table().getEntity(jobId, resultRowKey(resultId), { queryOptions: { select: ['status'] } });
    return true;
  } catch (err) {
    if (isStatus(err, 404)) return false;
    throw err;
  }
}

export interface ListJobResultsOptions {
  /** Where the previous page stopped (the SDK's opaque token). */
  continuationToken?: string;
  /** Rows per request (the service returns at most 1000). */
  pageSize?: number;
  abortSignal?: AbortSignal;
}

/**
 * The job's terminal results, one page per yield with the token to resume after it: a job of
 * any size is read one page (at most 1000 rows) at a time, never loaded whole.
 */
export async function* listJobResults(
  jobId: string,
  options: ListJobResultsOptions = {},
): AsyncGenerator<{ results: ClassificationResult[]; continuationToken?: string }> {
  const filter = `PartitionKey eq '${jobId.replace(/'/g, "''")}' and RowKey gt '${RESULT_ROW_PREFIX}' and RowKey lt 'r.'`;
  const pages = table()
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
