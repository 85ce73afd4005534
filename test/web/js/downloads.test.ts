/** The page's CSV and JSON-lines downloads (web/js/downloads.js) and the stored lists, without a browser. */
import { parse } from 'csv-parse/sync';
import { finishedResults, resultsCsv, resultsJsonl } from '../../../web/js/downloads.js';
import { readStoredList, writeStoredList } from '../../../web/js/storedList.js';
import { orderBy } from '../../../web/js/view.js';

const succeeded = {
  id: 'r1',
  status: 'succeeded',
  source: { name: '=cmd|calc.png', bytes: 10 },
  predictions: [
    { label: 'espresso', classIndex: 967, score: 0.99 },
    { label: 'cup', classIndex: 968, score: 0.01 },
  ],
};
const items = [
  { name: 'b.png', added: 0, phase: 'done', result: succeeded },
  { name: 'a.png', added: 1, phase: 'uploading' },
  {
    name: 'c.png',
    added: 2,
    id: 'r3',
    size: 5,
    phase: 'failed',
    error: { code: 'network', message: 'down' },
  },
];

it('exports every finished file, the server result when there is one, in the list order', () => {
  const results = finishedResults(items, orderBy('name'));
  expect(results.map((r: { source: { name: string } }) => r.source.name)).toEqual(['=cmd|calc.png', 'c.png']);
  expect(results[1]).toEqual({
    id: 'r3',
    status: 'failed',
    source: { name: 'c.png', bytes: 5 },
    error: { code: 'network', message: 'down' },
  });
  const rows = parse<Record<string, string>>(resultsCsv(results), { columns: true });
  expect(rows).toEqual([
    {
      name: "'=cmd|calc.png",
      status: 'succeeded',
      label: 'espresso',
      score: '0.99',
      errorCode: '',
      predictions: JSON.stringify(succeeded.predictions),
    },
    { name: 'c.png', status: 'failed', label: '', score: '', errorCode: 'network', predictions: '' },
  ]);
  expect(
    resultsJsonl(results)
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line)),
  ).toEqual(results);
  expect(resultsJsonl([])).toBe('');
});

it('reads back what it kept, and an empty list from a store that is unreadable, wrong or full', () => {
  const store = new Map<string, string>();
  const storage = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
  };
  writeStoredList(storage, 'k', [{ a: 1 }]);
  expect(readStoredList(storage, 'k')).toEqual([{ a: 1 }]);
  expect(readStoredList(storage, 'missing')).toEqual([]);
  store.set('k', '{not json');
  expect(readStoredList(storage, 'k')).toEqual([]);
  store.set('k', '{"a":1}');
  expect(readStoredList(storage, 'k')).toEqual([]);
  const full = {
    getItem: () => null,
    setItem: () => {
      throw new Error('QuotaExceededError');
    },
  };
  expect(() => writeStoredList(full, 'k', [1])).not.toThrow();
});
