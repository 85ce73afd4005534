/** Every CSV the project writes (job exports, `classify --csv`) opens safely in a spreadsheet. */
import { parse } from 'csv-parse/sync';
import { csvHeader, csvRow } from '../../../src/lib/results/csv';
import type { ClassificationResult } from '../../../src/lib/results/result';

const result = (name: string): ClassificationResult => ({
  id: 'r1',
  status: 'succeeded',
  source: { name },
  model: { id: 'm', sha256: 'x' },
  predictions: [{ label: 'tabby, tabby cat', score: 0.9, classIndex: 281 }],
  timings: { queueMs: 0, downloadMs: 0, decodeMs: 0, inferMs: 0, totalMs: 0 },
  createdAt: '2026-12-01T00:00:00.000Z',
});

describe('CSV', () => {
  it.each([
    '=HYPERLINK("http://evil.example","click")',
    '+1+cmd|" /C calc"!A0',
    '-2+3',
    '@SUM(1,1)',
    '\tTAB',
    '\rCR',
    '\uFF1D1+1',
  ])('neutralises a file name a spreadsheet would run: %j', (name) => {
    const [row] = parse<Record<string, string>>(csvHeader() + csvRow(result(name)), { columns: true });
    expect(row.name).toBe(`'${name}`);
    expect(row.label).toBe('tabby, tabby cat');
  });

  it.each(['x\n=1+1', 'x\r=1+1'])(
    'quotes a name holding a lone line break, so no spreadsheet starts a row inside it: %j',
    (name) => {
      // Quoted, the break stays inside the cell (unquoted, "=1+1" began a row of its own).
      const row = csvRow(result(name));
      expect(row.startsWith(`"${name}",`)).toBe(true);
      const rows: string[][] = parse(row);
      const [cells] = rows;
      expect(cells[0]).toBe(name);
    },
  );

  it('leaves ordinary names, numbers and the predictions as they are', () => {
    const text = csvRow(result('holiday/cat, 1.jpg'), ['/photos/=x.jpg']);
    const rows: string[][] = parse(text);
    const [cells] = rows;
    expect(cells.slice(0, 6)).toEqual([
      '/photos/=x.jpg',
      'holiday/cat, 1.jpg',
      'succeeded',
      'tabby, tabby cat',
      '0.9',
      '',
    ]);
    expect(JSON.parse(cells[6])).toEqual([{ label: 'tabby, tabby cat', score: 0.9, classIndex: 281 }]);
  });
});
