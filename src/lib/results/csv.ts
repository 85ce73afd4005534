/**
 * CSV rendering of results (docs/api.md, "Bulk jobs" and "HTTP API": header `name,status,label,score,errorCode,predictions`,
 * RFC 4180 quoting, predictions as JSON). csv-stringify does the quoting so that names with
 * commas, quotes or newlines survive a round trip through any spreadsheet. Every text cell that
 * a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return,
 * or their full-width forms) gets a leading single quote, as OWASP's "CSV Injection" advises:
 * file names come from anonymous uploaders and land in a job owner's spreadsheet.
 */
import { stringify } from 'csv-stringify/sync';
import type { ClassificationResult } from './result';

const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** A text cell as a spreadsheet may safely open it. */
export const neutraliseCell = (value: string): string => (FORMULA_START.test(value) ? `'${value}` : value);

// quote_record_delimiter: with the 'windows' delimiter csv-stringify would quote only a full
// CRLF, leaving a lone LF or CR in a name unquoted, which a spreadsheet splits into a new row
// (whose first cell the neutraliser never saw).
const OPTIONS = {
  record_delimiter: 'windows',
  quote_record_delimiter: true,
  cast: { string: neutraliseCell },
} as const;

export const CSV_COLUMNS = ['name', 'status', 'label', 'score', 'errorCode', 'predictions'] as const;

export function csvHeader(extraFirst: string[] = []): string {
  return stringify([[...extraFirst, ...CSV_COLUMNS]], OPTIONS);
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
    OPTIONS,
  );
}
