/**
 * Renders CLI results as they arrive: a readable table (default), a JSON array, JSON lines or
 * CSV. Every writer streams except --json, whose single array needs the whole run.
 */
import { csvHeader, csvRow } from '../lib/results/csv';
import type { ClassificationResult } from '../lib/results/result';

export type OutputFormat = 'table' | 'json' | 'jsonl' | 'csv';

export interface ResultWriter {
  write(result: ClassificationResult): void;
  end(): void;
}

/** The CSV's first column: the local file by default (`classify`), the result's id for a search. */
export interface FirstColumn {
  header: string;
  value(result: ClassificationResult): string;
}

const FILE_COLUMN: FirstColumn = { header: 'file', value: (r) => r.file ?? '' };

export function createWriter(
  format: OutputFormat,
  out: NodeJS.WritableStream,
  first: FirstColumn = FILE_COLUMN,
): ResultWriter {
  switch (format) {
    case 'json': {
      let first = true;
      return {
        write: (r) => {
          out.write(`${first ? '[\n' : ',\n'}${JSON.stringify(r, null, 2).replace(/^/gm, '  ')}`);
          first = false;
        },
        end: () => out.write(first ? '[]\n' : '\n]\n'),
      };
    }
    case 'jsonl':
      return { write: (r) => out.write(`${JSON.stringify(r)}\n`), end: () => undefined };
    case 'csv':
      out.write(csvHeader([first.header]));
      return { write: (r) => out.write(csvRow(r, [first.value(r)])), end: () => undefined };
    case 'table':
      return { write: (r) => out.write(tableBlock(r)), end: () => undefined };
  }
}

function tableBlock(r: ClassificationResult): string {
  const { source, timings } = r;
  if (r.status !== 'succeeded') {
    return `${r.file ?? source.name}\n  FAILED  ${r.error?.code}: ${r.error?.message}\n\n`;
  }
  const format = source.contentType?.replace('image/', '').toUpperCase();
  const head = `${r.file ?? source.name}  (${source.width}x${source.height} ${format}, ${Math.round(timings.totalMs)} ms)`;
  const lines = (r.predictions ?? []).map((p) => `  ${(p.score * 100).toFixed(1).padStart(5)}%  ${p.label}`);
  return `${head}\n${lines.join('\n')}\n\n`;
}
