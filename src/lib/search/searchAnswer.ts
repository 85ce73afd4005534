/**
 * A search's every match as JSON lines or CSV, streamed page by page from the index (constant
 * memory whatever the number of matches), for `GET /api/results?…&format=jsonl|csv`.
 */
import { csvHeader, csvRow } from '../results/csv';
import type { Services } from '../services';
import type { SearchQuery } from './searchIndex';

export const SEARCH_CONTENT_TYPES = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
} as const;

export function searchResultsStream(
  services: Pick<Services, 'search'>,
  query: SearchQuery,
  format: 'jsonl' | 'csv',
): ReadableStream<Uint8Array> {
  const pages = services.search.searchAll(query);
  const encoder = new TextEncoder();
  let headerSent = format !== 'csv';
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        // The result's id first: a search spans jobs and doors, and the name alone is not unique.
        controller.enqueue(encoder.encode(csvHeader(['id'])));
        return;
      }
      const { value, done } = await pages.next();
      if (done) return controller.close();
      controller.enqueue(
        encoder.encode(
          format === 'csv'
            ? value.map((r) => csvRow(r, [r.id])).join('')
            : value.map((r) => `${JSON.stringify(r)}\n`).join(''),
        ),
      );
    },
    async cancel() {
      await pages.return(undefined);
    },
  });
}
