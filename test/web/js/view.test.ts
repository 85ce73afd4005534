/** The list's filter, orders and summary, and a job's progress line (web/js/view.js), without a browser. */
import { countStates, jobSummary, matches, orderBy, stateOf, summaryText } from '../../../web/js/view.js';

const done = (name: string, added: number, label: string, score: number) => ({
  name,
  added,
  phase: 'done',
  result: { status: 'succeeded', predictions: [{ label, score }] },
});
const items = [
  done('b10.jpg', 0, 'tabby, tabby cat', 0.4),
  { name: 'a2.png', added: 1, phase: 'failed', error: { code: 'corrupt_image' } },
  done('b9.jpg', 2, 'espresso', 0.9),
  { name: 'c.gif', added: 3, phase: 'uploading' },
];

it('filters by state and by a text in the name or any label, ignoring case', () => {
  expect(items.map(stateOf)).toEqual(['succeeded', 'failed', 'succeeded', 'pending']);
  const names = (filter: { status?: string; text?: string }) =>
    items.filter((i) => matches(i, filter)).map((i) => i.name);
  expect(names({})).toHaveLength(4);
  expect(names({ status: 'failed' })).toEqual(['a2.png']);
  expect(names({ text: ' TABBY ' })).toEqual(['b10.jpg']);
  expect(names({ text: '.jpg', status: 'succeeded' })).toEqual(['b10.jpg', 'b9.jpg']);
  expect(names({ text: 'espresso', status: 'failed' })).toEqual([]);
});

it('orders by when added, by name with numbers in order, or by top score with unfinished last', () => {
  const sorted = (sort: string) => [...items].sort(orderBy(sort)).map((i) => i.name);
  expect(sorted('added')).toEqual(['b10.jpg', 'a2.png', 'b9.jpg', 'c.gif']);
  expect(sorted('name')).toEqual(['a2.png', 'b9.jpg', 'b10.jpg', 'c.gif']);
  expect(sorted('score')).toEqual(['b9.jpg', 'b10.jpg', 'a2.png', 'c.gif']);
  expect(sorted('nonsense')).toEqual(sorted('added'));
});

it("counts the whole batch, says what the filter shows, and gives a rate and what's left", () => {
  const counts = countStates(items);
  expect(counts).toEqual({ succeeded: 2, failed: 1, pending: 1 });
  const idle = { startedAt: 0, finished: 0 };
  expect(summaryText(counts, { shown: 4, total: 4, batch: idle, now: 0 })).toBe(
    '2 done · 1 failed · 1 in progress',
  );
  expect(summaryText(counts, { shown: 1, total: 4, batch: idle, now: 0 })).toBe(
    'Showing 1 of 4: 2 done · 1 failed · 1 in progress',
  );
  const running = { startedAt: 1000, finished: 3 };
  expect(summaryText(counts, { shown: 4, total: 4, batch: running, now: 3000 })).toBe(
    '2 done · 1 failed · 1 in progress · 1.5 images/s · about 1 s left',
  );
});

it("writes a job's progress: a '+' while its listing goes on, the rate and time left once it is complete", () => {
  const view = {
    status: 'running',
    total: 400,
    succeeded: 100,
    failed: 20,
    pending: 280,
    listingComplete: false,
    startedAt: '2026-12-03T10:00:00Z',
  };
  const now = Date.parse('2026-12-03T10:01:00Z');
  expect(jobSummary(view, now)).toBe('Running: 120 of 400+ images · 20 failed · 2.0 images/s');
  expect(jobSummary({ ...view, listingComplete: true }, now)).toBe(
    'Running: 120 of 400 images · 20 failed · 2.0 images/s · about 2 min 20 s left',
  );
  expect(jobSummary({ ...view, status: 'cancelled', skipped: 3, reason: 'Cancelled by a user.' }, now)).toBe(
    'Cancelled: 120 of 400+ images · 20 failed · 3 not classified · Cancelled by a user.',
  );
});
