// The search form's values to GET /api/results's parameters, and what to say about an answer.
// Pure: unit-tested in jest.

const DAY_MS = 86_400_000;

/**
 * { label, minScorePercent, status, from, to } as the form holds them (strings; dates as
 * yyyy-mm-dd in the user's time zone) to { params } or { error } naming the field to fix.
 * `to` is a whole day: results up to the end of it.
 */
export function searchParams(form) {
  const params = new URLSearchParams();
  const label = form.label.trim();
  if (label) {
    if (!/[\p{L}\p{N}]/u.test(label))
      return { error: 'Type a word of a label, such as “tabby” or “cat”.', field: 'label' };
    params.set('label', label);
  }
  const percent = form.minScorePercent.trim();
  if (percent) {
    const n = Number(percent);
    if (!/^\d+(\.\d+)?$/.test(percent) || n > 100)
      return { error: 'The minimum score is a percentage from 0 to 100.', field: 'minScore' };
    if (n > 0) params.set('minScore', String(Math.round(n * 100) / 10000));
  }
  if (form.status) params.set('status', form.status);
  const since = form.from ? localMidnight(form.from) : undefined;
  const until = form.to ? localMidnight(form.to) + DAY_MS : undefined;
  if (since !== undefined && until !== undefined && since >= until)
    return { error: '“From” must be on or before “To”.', field: 'from' };
  if (since !== undefined) params.set('since', new Date(since).toISOString());
  if (until !== undefined) params.set('until', new Date(until).toISOString());
  return { params };
}

function localMidnight(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y, m - 1, d).getTime();
}

/** "Showing 100 results, more to load" / "3 results" / "No stored result matches." */
export function searchSummary(shown, more) {
  if (shown === 0) return 'No stored result matches.';
  const noun = shown === 1 ? 'result' : 'results';
  return more ? `Showing ${shown} ${noun}; there are more.` : `${shown} ${noun}.`;
}
