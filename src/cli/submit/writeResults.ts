/**
 * Writes `classify submit`'s results file, one entry per local file in the order given:
 * CSV for a `.csv` name (the CLI's columns: file first), a JSON array for `.json`, else JSON lines.
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { ClassificationResult } from '../../lib/results/result';
import { createWriter, type OutputFormat } from '../output';

export function formatFor(file: string): OutputFormat {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.json$/i.test(file)) return 'json';
  return 'jsonl';
}

export async function writeResults(file: string, results: ClassificationResult[]): Promise<void> {
  const out = createWriteStream(file);
  const writer = createWriter(formatFor(file), out);
  for (const result of results) writer.write(result);
  writer.end();
  out.end();
  await finished(out);
}
