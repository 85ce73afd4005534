// The results list: every file the page knows (kept in sessionStorage, so a reload keeps the
// list), its card, the batch's summary, the filter and sort, and the downloads. Uploading and
// polling (uploads.js) only change items and call back here to show them.
import { createCard, renderCard, renderProgress, setThumb } from './cards.js';
import { $, announce, download } from './dom.js';
import { finishedResults, resultsCsv, resultsJsonl } from './downloads.js';
import { formatScore } from './format.js';
import { humanError } from './messages.js';
import { forgetPreview, previewUrl, prunePreviews } from './previews.js';
import { readStoredList, writeStoredList } from './storedList.js';
import { countStates, matches, orderBy, summaryText } from './view.js';

const STORAGE_KEY = 'image-classifier.uploads.v1';
/** Results kept on the page (and in sessionStorage): a batch of a thousand photos fits. */
const MAX_KEPT = 1000;
/** Up to this many files in flight, each result is announced; beyond, only the end of the batch. */
const FEW = 10;

const els = {
  results: $('results'),
  empty: $('empty'),
  clear: $('clear'),
  summary: $('summary'),
  toolbar: $('toolbar'),
  filterText: $('filter-text'),
  filterStatus: $('filter-status'),
  sort: $('sort'),
  noneMatch: $('none-match'),
};

/** key -> { item, card, file?, thumbUrl?, abort?, pollToken? }; `item` is what sessionStorage keeps. */
const entries = new Map();
/** When the current batch began (the first file added to an idle page), for the rate and ETA. */
const batch = { startedAt: 0, finished: 0 };
let nextAdded = 0;

/** Whether `entry` is still on the page (it may have been removed while an answer was on its way). */
export function isKept(entry) {
  return entries.get(entry.item.key) === entry;
}

export function entryFor(key) {
  return entries.get(key);
}

/** A file added to an idle page starts a new batch (its rate and time left count from now). */
function joinBatch() {
  if (!batch.startedAt) Object.assign(batch, { startedAt: Date.now(), finished: 0 });
}

/** Adds a file about to be uploaded; `file` stays with the entry so that a failed upload can be retried. */
export function addEntry(item, file, thumbUrl) {
  joinBatch();
  item.added = nextAdded++;
  return show({ item, file, thumbUrl });
}

function show(entry) {
  entries.set(entry.item.key, entry);
  entry.card = createCard(entry.item, entry.thumbUrl);
  els.results.append(entry.card.root);
  return entry;
}

export function removeEntry(key) {
  const entry = entries.get(key);
  if (!entry) return;
  entries.delete(key);
  if (entry.abort) entry.abort();
  if (entry.thumbUrl) URL.revokeObjectURL(entry.thumbUrl);
  forgetPreview(key);
  entry.card.root.remove();
}

export function clearEntries() {
  for (const key of [...entries.keys()]) removeEntry(key);
  Object.assign(batch, { startedAt: 0, finished: 0 });
  save();
  renderList();
}

/** Shows `entry` as its item now is, and the summary and order soon after. */
export function renderEntry(entry) {
  renderCard(entry.card, entry.item, Boolean(entry.file));
  scheduleView();
}

export function renderEntryProgress(entry) {
  renderProgress(entry.card, entry.item);
}

/** Ends `entry` with its result (succeeded) or an error { code, message } (failed). */
export function finish(entry, error) {
  const { item } = entry;
  if (!isKept(entry)) return; // removed while its last answer was on the way
  item.phase = error ? 'failed' : 'done';
  if (error)
    item.error = { code: String(error.code || 'internal_error'), message: String(error.message || '') };
  batch.finished++;
  renderEntry(entry);
  save();
  if (countStates(items()).pending + batch.finished > FEW) return;
  const top = !error && (item.result.predictions || [])[0];
  if (error) announce(`${item.name} failed: ${humanError(item.error)}`);
  else announce(top ? `${item.name}: ${top.label}, ${formatScore(top.score)}.` : `${item.name}: done.`);
}

function items() {
  return [...entries.values()].map((entry) => entry.item);
}

// ---- kept across reloads ----

/**
 * Keeps the list for a reload, at most once a second: writing a thousand items on every status
 * change took a third of the page's main thread during a 500-photo batch. Whatever is still
 * pending is written when the page is hidden or unloaded (a reload included).
 */
const SAVE_EVERY_MS = 1000;
let saveTimer;

export function save() {
  saveTimer ??= setTimeout(saveNow, SAVE_EVERY_MS);
}

export function saveNow() {
  clearTimeout(saveTimer);
  saveTimer = undefined;
  writeStoredList(sessionStorage, STORAGE_KEY, items());
}

window.addEventListener('pagehide', saveNow);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden' && saveTimer !== undefined) saveNow();
});

/** Drops the oldest finished results beyond MAX_KEPT. */
export function trimKept() {
  for (const [key, entry] of entries) {
    if (entries.size <= MAX_KEPT) break;
    if (entry.item.phase === 'done' || entry.item.phase === 'failed') removeEntry(key);
  }
}

/** Shows what the last page kept; returns the entries whose result is still to come (to poll again). */
export function restore() {
  const waiting = [];
  for (const item of readStoredList(sessionStorage, STORAGE_KEY)) {
    if (!item || typeof item.key !== 'string' || typeof item.name !== 'string') continue;
    if (typeof item.added !== 'number') item.added = nextAdded;
    nextAdded = Math.max(nextAdded, item.added + 1);
    const entry = show({ item });
    void showKeptPreview(entry);
    if (item.phase === 'polling' && item.statusUrl) {
      joinBatch();
      waiting.push(entry); // the bytes are in storage: only the result is missing
    } else if (item.phase !== 'done' && item.phase !== 'failed') {
      // The file itself went with the old page: it cannot be uploaded from here.
      item.phase = 'failed';
      item.error = { code: 'interrupted', message: '' };
    }
    renderEntry(entry);
  }
  save();
  renderList();
  void prunePreviews([...entries.keys()]);
  return waiting;
}

/** The preview kept from before the reload, when the browser could make one. */
async function showKeptPreview(entry) {
  const url = await previewUrl(entry.item.key);
  if (!isKept(entry)) {
    if (url) URL.revokeObjectURL(url);
    return;
  }
  entry.thumbUrl = url;
  setThumb(entry.card.thumb, url);
}

// ---- the list as a whole: summary, filter, sort ----

export function renderList() {
  els.empty.hidden = entries.size > 0;
  els.clear.hidden = entries.size === 0;
  els.toolbar.hidden = entries.size === 0;
  scheduleView();
}

let viewScheduled = false;
/** Summary, filter and order follow every change, at most a few times a second (a 500-file batch changes often). */
function scheduleView() {
  if (viewScheduled) return;
  viewScheduled = true;
  setTimeout(() => {
    viewScheduled = false;
    applyView();
  }, 200);
}

function currentFilter() {
  return { status: els.filterStatus.value, text: els.filterText.value };
}

/** Shows the cards that pass the filter in the chosen order, and the summary line. */
export function applyView() {
  const focused = document.activeElement;
  const filter = currentFilter();
  const order = orderBy(els.sort.value);
  const sorted = [...entries.values()].sort((a, b) => order(a.item, b.item));
  let shown = 0;
  let previous = null;
  for (const entry of sorted) {
    const visible = matches(entry.item, filter);
    entry.card.root.hidden = !visible;
    if (visible) shown++;
    // Move a card only when it is out of place: moving focusable nodes loses focus.
    const expected = previous ? previous.nextElementSibling : els.results.firstElementChild;
    if (expected !== entry.card.root) {
      if (previous) previous.after(entry.card.root);
      else els.results.prepend(entry.card.root);
    }
    previous = entry.card.root;
  }
  els.noneMatch.hidden = entries.size === 0 || shown > 0;
  // Moving a node loses its focus: give it back when the card is still shown.
  if (focused && focused !== document.activeElement && focused.isConnected && !focused.closest('[hidden]'))
    focused.focus({ preventScroll: true });
  renderSummary(shown);
}

function renderSummary(shown) {
  const counts = countStates(items());
  els.summary.hidden = entries.size === 0;
  els.summary.textContent = summaryText(counts, { shown, total: entries.size, batch, now: Date.now() });
  if (counts.pending === 0 && batch.startedAt) {
    // The batch is over: say so once (files are announced one by one only in small batches).
    if (batch.finished > FEW) announce(`All done: ${counts.succeeded} done, ${counts.failed} failed.`);
    batch.startedAt = 0; // the next files start a new batch
  }
}

/** The card after (else before) `entry`'s that is shown: where focus goes when it is removed. */
export function neighbourOf(entry) {
  const shown = (node, step) => {
    let n = node[step];
    while (n && n.hidden) n = n[step];
    return n;
  };
  const root = entry.card.root;
  return shown(root, 'nextElementSibling') || shown(root, 'previousElementSibling');
}

// ---- downloads: the page's results, as the job export writes them ----

function finished() {
  return finishedResults(items(), orderBy(els.sort.value));
}

export function downloadCsv() {
  download('results.csv', 'text/csv', resultsCsv(finished()));
}

export function downloadJsonl() {
  download('results.jsonl', 'application/x-ndjson', resultsJsonl(finished()));
}
