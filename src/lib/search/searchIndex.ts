/**
 * The one owner of table `search`: an index of every terminal result, keyed for the queries
 * people make of `GET /api/results` (docs/api.md#search), so that none scans the `results`
 * table. Each entity carries the result itself, so a query reads nothing else:
 *
 * - by class (succeeded results): PartitionKey `c:<model>:<classIndex>` of the top label,
 *   RowKey `<1e6 - score*1e6, 7 digits>_<1e13 - completedAt ms>_<id>`, best score first. A
 *   label query names words; the installed models' labels say which classes hold them all
 *   ("cat": tabby, tiger cat, Persian cat, ...), and "at 80% or more" is one key range of each
 *   such partition: it reads only its matches.
 * - by job (a job's images): PartitionKey `j:<jobId>`, newest first.
 * - failures: PartitionKey `f:failed`, newest first (failures are few; errorCode filters them).
 * - by day (all): PartitionKey `d:<yyyy-mm-dd>` of completedAt, newest first, for the rest
 *   (status=succeeded, model, a time window alone, no filter), read day by day from `until`
 *   back to `since`, the other conditions checked by the service.
 *
 * One entity per result by class and one by day (a drop-folder image costs two writes more),
 * plus one by job or as a failure where that applies; a job message's results share their
 * day's and their job's partitions, one transaction each. Written as upserts, so a redelivery
 * writes the same entities again. When a terminal result is replaced (a drop-folder blob
 * written again, a replay) or deleted, its entities are removed (`remove`). A day's partition
 * takes about 2,000 writes a second (the Table service's per-partition target): past that, the
 * day would need buckets.
 */
import type { TableClient, TableEntityResult, TransactionAction } from '@azure/data-tables';
import type { ErrorCode } from '../errors';
import type { ClassificationResult, ResultStatus } from '../results/result';
import type { StorageClients } from '../storage/clients';
import { isStatus } from '../storage/restErrors';
import { storageNames } from '../storage/names';

export interface SearchQuery {
  /** Words of the top label, all of which must be in it (by word, case-insensitive). */
  label?: string;
  minScore?: number;
  status?: Extract<ResultStatus, 'succeeded' | 'failed'>;
  errorCode?: ErrorCode;
  jobId?: string;
  model?: string;
  /** ISO times: completedAt within [since, until). */
  since?: string;
  until?: string;
}

export interface SearchPage {
  items: ClassificationResult[];
  /** Present when more may follow: pass it back for the next page. */
  continuationToken?: string;
  /** Index entities the service returned for this page (what the query cost). */
  entitiesRead: number;
}

/** A model's labels, by class index: which classes a label query names. */
export interface LabelSet {
  model: string;
  labels: readonly string[];
}

type Entity = {
  partitionKey: string;
  rowKey: string;
  id: string;
  status: string;
  label?: string;
  score?: number;
  errorCode?: string;
  jobId?: string;
  model: string;
  completedAt: string;
  result: string;
};

/** A range of one partition, read in RowKey order. */
interface Segment {
  partitionKey: string;
  /** RowKeys strictly below this (the minScore bound), if any. */
  below?: string;
}

interface Token {
  /** The segment, and the last RowKey returned in it. */
  s: number;
  rk?: string;
}

const DAY_MS = 86_400_000;
const TIME_SPAN = 1e13; // ms; past the year 2286
/** Table properties hold 64 KiB of UTF-16: a larger result is indexed with its top 5 only. */
const MAX_RESULT_CHARS = 30_000;

export const labelWords = (label: string): string[] => [
  ...new Set(
    label
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean),
  ),
];

const inverseTime = (iso: string): string => String(TIME_SPAN - Date.parse(iso)).padStart(13, '0');
const inverseScore = (score: number): string => String(1_000_000 - Math.round(score * 1e6)).padStart(7, '0');
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export interface SearchIndexOptions {
  /** How many days back a query without `since` reads (results older are deleted by retention). */
  horizonDays: number;
  /** The installed models' labels (default: none, so no label query matches). */
  labelSets?: () => readonly LabelSet[];
  now?: () => number;
}

interface Waiting {
  entity: Entity;
  settle: (err?: Error) => void;
}

export class SearchIndex {
  private readonly table: TableClient;
  /** Entities waiting for their partition's transaction in flight to end, by partition. */
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly flushing = new Set<string>();

  constructor(
    storage: StorageClients,
    private readonly options: SearchIndexOptions,
  ) {
    this.table = storage.table(storageNames.searchTable);
  }

  /**
   * Indexes terminal results (others are skipped). Writes are coalesced per partition, as the
   * job counter coalesces counts: while a transaction for a partition is in flight, the next
   * entities for it wait and go together in the next one (up to 100), so the images a process
   * finishes at the same time share their day's transaction.
   */
  async add(results: readonly ClassificationResult[]): Promise<void> {
    const entities = results.flatMap(searchEntities);
    const written = entities.map(
      (entity) =>
        new Promise<void>((resolve, reject) => {
          const list = this.waiting.get(entity.partitionKey) ?? [];
          list.push({ entity, settle: (err) => (err ? reject(err) : resolve()) });
          this.waiting.set(entity.partitionKey, list);
        }),
    );
    for (const partitionKey of new Set(entities.map((e) => e.partitionKey)))
      if (!this.flushing.has(partitionKey)) void this.flush(partitionKey);
    await Promise.all(written);
  }

  private async flush(partitionKey: string): Promise<void> {
    this.flushing.add(partitionKey);
    try {
      for (let list = this.waiting.get(partitionKey); list?.length; list = this.waiting.get(partitionKey)) {
        const batch = list.splice(0, 100);
        if (list.length === 0) this.waiting.delete(partitionKey);
        // A result given twice (a redelivery in the same batch) is one entity: a transaction refuses duplicates.
        const unique = [...new Map(batch.map((w) => [w.entity.rowKey, w.entity])).values()];
        try {
          await this.table.submitTransaction(unique.map((e): TransactionAction => ['upsert', e, 'Replace']));
          for (const w of batch) w.settle();
        } catch (err) {
          for (const w of batch) w.settle(err instanceof Error ? err : new Error(String(err)));
        }
      }
    } finally {
      this.flushing.delete(partitionKey);
    }
  }

  /** Removes a result's entities (it was replaced, or deleted); those already gone are fine. */
  async remove(results: readonly ClassificationResult[]): Promise<void> {
    // A transaction fails whole on one missing entity: delete one by one, ignoring 404s.
    await Promise.all(
      results.flatMap(searchEntities).map((e) =>
        this.table.deleteEntity(e.partitionKey, e.rowKey).catch((err: unknown) => {
          if (!isStatus(err, 404)) throw err;
        }),
      ),
    );
  }

  /**
   * One page of the results matching `query`: by label, class by class, best score first;
   * otherwise newest first.
   */
  async search(
    query: SearchQuery,
    options: { top: number; continuationToken?: string; abortSignal?: AbortSignal },
  ): Promise<SearchPage> {
    const segments = this.plan(query);
    const filter = serverFilter(query);
    let token: Token = options.continuationToken
      ? parseToken(options.continuationToken, segments.length)
      : { s: 0 };
    const items: ClassificationResult[] = [];
    let entitiesRead = 0;
    while (token.s < segments.length) {
      const segment = segments[token.s];
      const conditions = [`PartitionKey eq '${escape(segment.partitionKey)}'`];
      if (token.rk) conditions.push(`RowKey gt '${escape(token.rk)}'`);
      if (segment.below) conditions.push(`RowKey lt '${segment.below}'`);
      if (filter) conditions.push(filter);
      const pages = this.table
        .listEntities<Entity>({
          queryOptions: { filter: conditions.join(' and ') },
          abortSignal: options.abortSignal,
        })
        .byPage({ maxPageSize: Math.min(1000, options.top - items.length) });
      for await (const page of pages) {
        for (const entity of page as TableEntityResult<Entity>[]) {
          entitiesRead++;
          token = { s: token.s, rk: entity.rowKey };
          items.push(JSON.parse(entity.result) as ClassificationResult);
          if (items.length === options.top)
            return { items, continuationToken: encodeToken(token), entitiesRead };
        }
      }
      token = { s: token.s + 1 };
    }
    return { items, entitiesRead };
  }

  /** Every match, page by page (for the jsonl and csv answers). */
  async *searchAll(
    query: SearchQuery,
    abortSignal?: AbortSignal,
  ): AsyncGenerator<ClassificationResult[], void> {
    let continuationToken: string | undefined;
    do {
      const page = await this.search(query, { top: 1000, continuationToken, abortSignal });
      if (page.items.length > 0) yield page.items;
      continuationToken = page.continuationToken;
    } while (continuationToken);
  }

  /** Which partitions answer a query, in the order their entities are returned. */
  private plan(query: SearchQuery): Segment[] {
    if (query.label) {
      if (query.status === 'failed' || query.errorCode) return []; // a failure has no label
      const words = labelWords(query.label);
      const below =
        query.minScore === undefined
          ? undefined
          : String(1_000_000 - Math.round(query.minScore * 1e6) + 1).padStart(7, '0');
      return (this.options.labelSets?.() ?? [])
        .filter((set) => !query.model || set.model === query.model)
        .flatMap((set) =>
          set.labels.flatMap((label, classIndex) => {
            const has = labelWords(label);
            return words.every((w) => has.includes(w))
              ? [{ partitionKey: `c:${set.model}:${classIndex}`, below }]
              : [];
          }),
        );
    }
    if (query.jobId) return [{ partitionKey: `j:${query.jobId}` }];
    if (query.status === 'failed' || query.errorCode) return [{ partitionKey: 'f:failed' }];
    const now = (this.options.now ?? Date.now)();
    const until = query.until ? Math.min(Date.parse(query.until), now + DAY_MS) : now + DAY_MS;
    const since = query.since ? Date.parse(query.since) : now - (this.options.horizonDays + 1) * DAY_MS;
    const days: Segment[] = [];
    for (let day = Date.parse(dayOf(until)); day >= Date.parse(dayOf(since)); day -= DAY_MS)
      days.push({ partitionKey: `d:${dayOf(day)}` });
    return days;
  }
}

/** A result's index entities (exported for the bench, which seeds an index in bulk). */
export function searchEntities(result: ClassificationResult): Entity[] {
  if (result.status !== 'succeeded' && result.status !== 'failed') return [];
  const completedAt = result.completedAt ?? result.createdAt;
  const top = result.predictions?.[0];
  const body = JSON.stringify(result);
  const common = {
    id: result.id,
    status: result.status,
    label: top?.label,
    score: top?.score,
    errorCode: result.error?.code,
    jobId: result.jobId,
    model: result.model.id,
    completedAt,
    result:
      body.length <= MAX_RESULT_CHARS
        ? body
        : JSON.stringify({ ...result, predictions: result.predictions?.slice(0, 5) }),
  };
  const newest = `${inverseTime(completedAt)}_${result.id}`;
  const entities: Entity[] = [{ ...common, partitionKey: `d:${completedAt.slice(0, 10)}`, rowKey: newest }];
  if (top && result.status === 'succeeded')
    entities.push({
      ...common,
      partitionKey: `c:${result.model.id}:${top.classIndex}`,
      rowKey: `${inverseScore(top.score)}_${newest}`,
    });
  if (result.jobId) entities.push({ ...common, partitionKey: `j:${result.jobId}`, rowKey: newest });
  if (result.status === 'failed') entities.push({ ...common, partitionKey: 'f:failed', rowKey: newest });
  return entities;
}

/** The conditions the service checks on each entity of the partition range. */
function serverFilter(query: SearchQuery): string | undefined {
  const parts: string[] = [];
  if (query.status) parts.push(`status eq '${query.status}'`);
  if (query.errorCode) parts.push(`errorCode eq '${escape(query.errorCode)}'`);
  if (query.jobId && query.label) parts.push(`jobId eq '${escape(query.jobId)}'`);
  if (query.model && !query.label) parts.push(`model eq '${escape(query.model)}'`);
  // By label the minimum score is the key range; otherwise a condition.
  if (query.minScore !== undefined && !query.label) parts.push(`score ge ${query.minScore}`);
  if (query.since) parts.push(`completedAt ge '${escape(query.since)}'`);
  if (query.until) parts.push(`completedAt lt '${escape(query.until)}'`);
  return parts.length > 0 ? parts.join(' and ') : undefined;
}

const escape = (value: string): string => value.replaceAll("'", "''");

const encodeToken = (token: Token): string => Buffer.from(JSON.stringify(token)).toString('base64url');

function parseToken(text: string, segments: number): Token {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Token;
    if (
      Number.isSafeInteger(token.s) &&
      token.s >= 0 &&
      token.s < segments &&
      (token.rk === undefined || typeof token.rk === 'string')
    )
      return token;
  } catch {
    // fall through
  }
  throw new TokenError();
}

/** A continuation token this query did not give (or another query's). */
export class TokenError extends Error {
  constructor() {
    super('The continuationToken is not one this search gave; start again without it.');
  }
}
