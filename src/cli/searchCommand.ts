/**
 * `classify search [--api URL] [--key KEY] [--label WORDS] [--min-score S] [--status S]
 * [--error-code C] [--job ID] [--model ID] [--since T] [--until T] [--limit N]
 * [--jsonl | --csv] [--out FILE]`: every stored result that matches, from a running app's
 * search (`GET /api/results`, docs/api.md#search), page by page (each page retried on its own,
 * so a long answer survives a dropped connection). The app checks the filters and says what is
 * wrong; a readable list by default, JSON lines or CSV (by flag, or by --out's extension).
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { parseNumber } from '../lib/numbers';
import type { ClassificationResult } from '../lib/results/result';
import { parseApi, searchPage } from './apiClient';
import { createWriter, type OutputFormat } from './output';
import { UsageError } from './usageError';

export const SEARCH_USAGE =
  'npx classify search [--api URL] [--key KEY] [--label WORDS] [--min-score 0-1] [--status succeeded|failed]\n' +
  '    [--error-code CODE] [--job ID] [--model ID] [--since TIME] [--until TIME] [--limit N] [--jsonl | --csv] [--out FILE]';

/** Flag to the route's parameter. */
const FILTERS = {
  label: 'label',
  'min-score': 'minScore',
  status: 'status',
  'error-code': 'errorCode',
  job: 'jobId',
  model: 'model',
  since: 'since',
  until: 'until',
} as const;

export async function searchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      api: { type: 'string' },
      key: { type: 'string' },
      ...Object.fromEntries(Object.keys(FILTERS).map((flag) => [flag, { type: 'string' as const }])),
      limit: { type: 'string' },
      jsonl: { type: 'boolean' },
      csv: { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`Usage: ${SEARCH_USAGE}\n`);
    return 0;
  }
  const api = { api: parseApi(values.api), key: values.key };
  const limit =
    values.limit === undefined
      ? Infinity
      : parseNumber(values.limit, '--limit', { min: 1 }, (message) => new UsageError(message));
  const format = outputFormat(values);
  const params = new URLSearchParams();
  for (const [flag, param] of Object.entries(FILTERS)) {
    const value = values[flag as keyof typeof values];
    if (typeof value === 'string') params.set(param, value);
  }
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  const writer =
    format === 'table'
      ? { write: (r: ClassificationResult) => out.write(line(r)), end: () => undefined }
      : createWriter(format, out, { header: 'id', value: (r) => r.id });
  let count = 0;
  let token: string | undefined;
  do {
    params.set('top', String(Math.min(1000, limit - count)));
    if (token) params.set('continuationToken', token);
    const page = await searchPage(api, params);
    for (const result of page.items) writer.write(result);
    count += page.items.length;
    token = page.continuationToken;
  } while (token && count < limit);
  writer.end();
  if (values.out) {
    out.end();
    await finished(out);
  }
  process.stderr.write(
    `${count} result${count === 1 ? '' : 's'}${token ? ` (more: raise --limit)` : ''}${values.out ? ` in ${values.out}` : ''}\n`,
  );
  return 0;
}

function outputFormat(values: { jsonl?: boolean; csv?: boolean; out?: string }): OutputFormat {
  if (values.jsonl && values.csv) throw new UsageError('Give one of --jsonl and --csv.');
  if (values.jsonl) return 'jsonl';
  if (values.csv || values.out?.endsWith('.csv')) return 'csv';
  if (values.out) return 'jsonl';
  return 'table';
}

/** One line a result: top score and label, or the failure's code; its name; when; its id. */
function line(r: ClassificationResult): string {
  const top = r.predictions?.[0];
  const what = top
    ? `${(top.score * 100).toFixed(1).padStart(5)}%  ${top.label}`
    : `FAILED  ${r.error?.code ?? r.status}`;
  return `${what}  ${r.source.name}  ${r.completedAt ?? ''}  ${r.id}\n`;
}
