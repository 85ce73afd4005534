// The page's results as files, written the way the job export writes them (CSV with the same
// columns, JSON lines of the server's results). Pure: unit-tested in jest.
import { csvCell } from './format.js';

/** The result of every finished item, the server's when there is one, in the list's order. */
export function finishedResults(items, order) {
  return items
    .filter((item) => item.phase === 'done' || item.phase === 'failed')
    .sort(order)
    .map((item) =>
      item.result && (item.result.status === 'succeeded' || item.result.status === 'failed')
        ? item.result
        : { id: item.id, status: 'failed', source: { name: item.name, bytes: item.size }, error: item.error },
    );
}

export function resultsCsv(results) {
  const lines = [['name', 'status', 'label', 'score', 'errorCode', 'predictions'].join(',')];
  for (const r of results) {
    const top = (r.predictions || [])[0];
    const row = [
      r.source.name,
      r.status,
      top ? top.label : '',
      top ? top.score : '',
      (r.error && r.error.code) || '',
      r.predictions ? JSON.stringify(r.predictions.slice(0, 5)) : '',
    ];
    lines.push(row.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function resultsJsonl(results) {
  const text = results.map((r) => JSON.stringify(r)).join('\n');
  return text ? `${text}\n` : '';
}
