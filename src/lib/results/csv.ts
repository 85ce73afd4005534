/**
 * CSV rendering of results (README, "Bulk jobs" and "HTTP API": header `name,status,label,score,errorCode,predictions`,
 * RFC 4180 quoting, predictions as JSON). csv-stringify does the quoting so that names with
 * commas, quotes or newlines survive a round trip through any spreadsheet.
 */
import { stringify } from 'csv-stringify/sync';
import type { ClassificationResult } from './result';

export const CSV_COLUMNS = ['name', 'status', 'label', 'score', 'errorCode', 'predictions'] as const;

export function csvHeader(extraFirst: string[] = []): string {
  return stringify([[...extraFirst, ...CSV_COLUMNS]], { record_delimiter: 'windows' });
}

export function csvRow(result: ClassificationResult, extraFirst: string[] = []): string {
  const top = result.predictions?.[0];
  return stringify(
    [
      [
        ...extraFirst,
        result.source.name,
        result.status,
        top?.label ?? '',
        top?.score ?? '',
        result.error?.code ?? '',
        result.predictions ? JSON.stringify(result.predictions.slice(0, 5)) : '',
      ],
    ],
    { record_delimiter: 'windows' },
  );
}
