// Which results the list shows and in what order, the batch's summary line and a job's. Pure
// functions over the items the page keeps (no DOM): unit-tested in jest.
import { formatDuration } from './format.js';

/** 'succeeded', 'failed' or 'pending' (anything still uploading or waiting for its result). */
export function stateOf(item) {
  return item.phase === 'done' ? 'succeeded' : item.phase === 'failed' ? 'failed' : 'pending';
}

/** Whether `item` passes the filter: a status ('' for any) and a text found in its name or a label. */
export function matches(item, filter) {
  if (filter.status && stateOf(item) !== filter.status) return false;
  const text = (filter.text || '').trim().toLowerCase();
  if (!text) return true;
  const labels = ((item.result && item.result.predictions) || []).map((p) => p.label);
  return [item.name, ...labels].some((t) => t.toLowerCase().includes(text));
}

function topScore(item) {
  const top = item.phase === 'done' && item.result && (item.result.predictions || [])[0];
  return top ? top.score : -1;
}

const collator = new Intl.Collator(undefined, { numeric: true });
const ORDERS = {
  added: (a, b) => a.added - b.added,
  name: (a, b) => collator.compare(a.name, b.name),
  score: (a, b) => topScore(b) - topScore(a) || a.added - b.added,
};

/** A comparator of items for the sort control's value ('added', 'name' or 'score'). */
export function orderBy(sort) {
  return ORDERS[sort] || ORDERS.added;
}

/** How many items are in each state. */
export function countStates(items) {
  const counts = { succeeded: 0, failed: 0, pending: 0 };
  for (const item of items) counts[stateOf(item)]++;
  return counts;
}

/**
 * "30 done · 2 failed · 5 in progress · 3.1 images/s · about 2 s left", with "Showing 4 of 37: "
 * in front while a filter hides some: the counts are always the whole batch's.
 * `batch` is { startedAt, finished } of the files added since the page last went idle.
 */
export function summaryText(counts, { shown, total, batch, now }) {
  const parts = [`${counts.succeeded} done`, `${counts.failed} failed`, `${counts.pending} in progress`];
  const seconds = (now - batch.startedAt) / 1000;
  if (batch.startedAt && batch.finished > 0 && seconds > 0) {
    const rate = batch.finished / seconds;
    parts.push(`${rate.toFixed(1)} images/s`);
    if (counts.pending > 0) parts.push(`about ${formatDuration(counts.pending / rate)} left`);
  }
  const text = parts.join(' · ');
  return shown < total ? `Showing ${shown} of ${total}: ${text}` : text;
}

export const JOB_STATUS_TEXT = {
  running: 'Running',
  succeeded: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** "Running: 120 of 400+ images · 2 failed · 3.5 images/s · about 1 min 20 s left". */
export function jobSummary(view, now) {
  const done = view.succeeded + view.failed;
  const parts = [
    `${JOB_STATUS_TEXT[view.status] || view.status}: ${done} of ${view.total}${view.listingComplete ? '' : '+'} images`,
    `${view.failed} failed`,
  ];
  if (view.status === 'running' && done > 0 && view.startedAt) {
    const rate = done / Math.max(1, (now - Date.parse(view.startedAt)) / 1000);
    parts.push(`${rate.toFixed(1)} images/s`);
    if (view.listingComplete && view.pending > 0)
      parts.push(`about ${formatDuration(view.pending / rate)} left`);
  }
  if (view.skipped) parts.push(`${view.skipped} not classified`);
  if (view.reason) parts.push(view.reason);
  return parts.join(' · ');
}
