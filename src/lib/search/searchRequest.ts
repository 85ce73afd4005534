/**
 * `GET /api/results?label=&minScore=&status=&errorCode=&jobId=&model=&since=&until=&top=&continuationToken=&format=`
 * checked at the boundary: every parameter's shape, and no parameter the route does not know
 * (a misspelt filter must not quietly widen the answer to every result).
 */
import { badRequest, IMAGE_ERROR_CODES, isImageErrorCode } from '../errors';
import { isJobId } from '../jobs/job';
import { parseModelId } from '../model/manifest';
import { parseNumber } from '../numbers';
import { labelWords, type SearchQuery } from './searchIndex';

export type SearchFormat = 'json' | 'jsonl' | 'csv';

export interface SearchRequest {
  query: SearchQuery;
  /** Results per page (json); jsonl and csv stream every match. */
  top: number;
  continuationToken?: string;
  format: SearchFormat;
}

export const DEFAULT_TOP = 100;
export const MAX_TOP = 1000;
const KNOWN = new Set([
  'label',
  'minScore',
  'status',
  'errorCode',
  'jobId',
  'model',
  'since',
  'until',
  'top',
  'continuationToken',
  'format',
  // The function key, in Azure.
  'code',
]);

export function parseSearchRequest(params: URLSearchParams): SearchRequest {
  for (const name of params.keys())
    if (!KNOWN.has(name))
      throw badRequest(
        `Unknown parameter "${name.slice(0, 40)}"; a search takes ${[...KNOWN].filter((k) => k !== 'code').join(', ')}.`,
      );
  const get = (name: string): string | undefined => params.get(name) ?? undefined;
  const query: SearchQuery = {};
  const label = get('label');
  if (label !== undefined) {
    if (label.length > 100 || labelWords(label).length === 0)
      throw badRequest(
        '"label" must hold at least one word of a label (letters or digits), at most 100 characters.',
      );
    query.label = label;
  }
  const minScore = get('minScore');
  // parseNumber's lower bound is exclusive for decimals: a zero (every score) is taken as it is.
  if (minScore !== undefined)
    query.minScore = /^0+(\.0*)?$/.test(minScore)
      ? 0
      : parseNumber(minScore, '"minScore"', { min: 0, max: 1, integer: false }, badRequest);
  const status = get('status');
  if (status !== undefined) {
    if (status !== 'succeeded' && status !== 'failed')
      throw badRequest(
        `"status" must be succeeded or failed (only finished results are searched), got "${status.slice(0, 40)}".`,
      );
    query.status = status;
  }
  const errorCode = get('errorCode');
  if (errorCode !== undefined) {
    if (!isImageErrorCode(errorCode))
      throw badRequest(
        `"errorCode" must be one of ${IMAGE_ERROR_CODES.join(', ')}, got "${errorCode.slice(0, 40)}".`,
      );
    query.errorCode = errorCode;
  }
  const jobId = get('jobId');
  if (jobId !== undefined) {
    if (!isJobId(jobId)) throw badRequest(`"jobId" must be a job id (a UUID), got "${jobId.slice(0, 60)}".`);
    query.jobId = jobId;
  }
  query.model = parseModelId(get('model'));
  if (query.model === undefined) delete query.model;
  for (const name of ['since', 'until'] as const) {
    const value = get(name);
    if (value === undefined) continue;
    const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(ms))
      throw badRequest(
        `"${name}" must be an ISO 8601 date or time (2026-12-03, 2026-12-03T10:00:00Z), got "${value.slice(0, 40)}".`,
      );
    query[name] = new Date(ms).toISOString();
  }
  if (query.since && query.until && query.since >= query.until)
    throw badRequest('"since" must be before "until".');
  const format = get('format') ?? 'json';
  if (format !== 'json' && format !== 'jsonl' && format !== 'csv')
    throw badRequest(`"format" must be json, jsonl or csv, got "${format.slice(0, 40)}".`);
  const topText = get('top');
  const top =
    topText === undefined
      ? DEFAULT_TOP
      : parseNumber(topText, '"top"', { min: 1, max: MAX_TOP, integer: true }, badRequest);
  const continuationToken = get('continuationToken');
  if (continuationToken !== undefined && (continuationToken.length === 0 || continuationToken.length > 2000))
    throw badRequest('"continuationToken" must be the token a previous page gave.');
  return { query, top, continuationToken, format };
}
