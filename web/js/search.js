// "Search all results": every result the app has stored (uploads, the drop folder, jobs), not
// only this tab's, from GET /api/results; a page of 100 at a time, and every match as CSV or
// JSON lines. The function key, needed in Azure, is sent in a header and never stored.
import * as api from './api.js';
import { $, announce, download, el, setBreakableText } from './dom.js';
import { formatScore } from './format.js';
import { NETWORK_TEXT } from './messages.js';
import { searchParams, searchSummary } from './searchQuery.js';

const PAGE = 100;

const els = {
  form: $('search-form'),
  label: $('search-label'),
  minScore: $('search-min-score'),
  status: $('search-status'),
  from: $('search-from'),
  to: $('search-to'),
  key: $('search-key'),
  error: $('search-error'),
  summary: $('search-summary'),
  table: $('search-results'),
  rows: $('search-rows'),
  more: $('search-more'),
  downloads: $('search-downloads'),
  submit: document.querySelector('#search-form button[type="submit"]'),
};

/** The search shown: its parameters, the next page's token, how many rows. */
let current;

async function search(event) {
  event.preventDefault();
  els.error.textContent = '';
  const { params, error, field } = searchParams({
    label: els.label.value,
    minScorePercent: els.minScore.value,
    status: els.status.value,
    from: els.from.value,
    to: els.to.value,
  });
  if (error) {
    els.error.textContent = error;
    ({ label: els.label, minScore: els.minScore, from: els.from })[field]?.focus();
    return;
  }
  current = { params: params.toString(), token: undefined, shown: 0 };
  els.rows.replaceChildren();
  await loadPage();
}

async function loadPage() {
  const search = current;
  const params = new URLSearchParams(search.params);
  params.set('top', String(PAGE));
  if (search.token) params.set('continuationToken', search.token);
  els.submit.disabled = els.more.disabled = true;
  let answer;
  try {
    answer = await api.searchResults(params.toString(), els.key.value);
  } catch (err) {
    els.error.textContent = `${NETWORK_TEXT} (${err.message})`;
    return;
  } finally {
    els.submit.disabled = els.more.disabled = false;
  }
  if (search !== current) return; // a newer search started meanwhile
  const { status, body } = answer;
  if (status !== 200 || !body || !Array.isArray(body.items)) {
    const error = body && body.error;
    els.error.textContent =
      status === 401
        ? 'The server asks for a function key: paste the app’s key in “Function key”.'
        : `The search did not run: ${(error && error.message) || `HTTP ${status}`}`;
    return;
  }
  for (const result of body.items) els.rows.append(row(result));
  search.shown += body.items.length;
  search.token = body.continuationToken;
  const summary = searchSummary(search.shown, Boolean(search.token));
  els.summary.textContent = summary;
  announce(summary);
  els.table.hidden = search.shown === 0;
  els.more.hidden = !search.token;
  els.downloads.hidden = search.shown === 0;
}

function row(result) {
  const tr = document.createElement('tr');
  const top = (result.predictions || [])[0];
  const cells = [
    result.source.name,
    top ? top.label : (result.error && result.error.code) || '',
    top ? formatScore(top.score) : '',
    result.status,
    result.completedAt ? new Date(result.completedAt).toLocaleString() : '',
  ];
  for (const text of cells) el('td', '', tr).textContent = text;
  // Long names break between their parts (after _ . -), not mid-word.
  setBreakableText(tr.firstChild, cells[0]);
  tr.children[2].className = 'search-score';
  return tr;
}

async function downloadAll(format) {
  if (!current) return;
  try {
    const blob = await api.searchDownload(current.params, format, els.key.value);
    download(`results.${format}`, format === 'csv' ? 'text/csv' : 'application/x-ndjson', blob);
  } catch (err) {
    els.error.textContent = `The results were not downloaded: ${err.message}`;
  }
}

export function startSearchView() {
  els.form.addEventListener('submit', (event) => void search(event));
  els.more.addEventListener('click', () => void loadPage());
  $('search-download-csv').addEventListener('click', () => void downloadAll('csv'));
  $('search-download-jsonl').addEventListener('click', () => void downloadAll('jsonl'));
}
