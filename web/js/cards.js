// One card per file in the results list: thumbnail, name, size, progress, the top-5 labels
// with their bars, timings, and on failure what to do next. Cards carry no listeners: the
// list handles their buttons by delegation (data-action), so a thousand cards cost one.
import { el, setBreakableText } from './dom.js';
import { formatBytes, formatMs, formatScore } from './format.js';
import { humanError, retryKind, statusText } from './messages.js';
import { stateOf } from './view.js';

function button(parent, className, action, text) {
  const b = el('button', `button ${className}`, parent);
  b.type = 'button';
  b.dataset.action = action;
  b.textContent = text;
  return b;
}

/** The card's elements for `item`; `thumbUrl` is its preview (an object URL), when it is at hand. */
export function createCard(item, thumbUrl) {
  const root = el('li', 'card');
  root.dataset.key = item.key;
  const thumb = el('div', 'thumb', root);
  const summary = el('div', 'summary', root);
  const name = el('h3', 'name', summary);
  name.tabIndex = -1;
  setBreakableText(name, item.name);
  const meta = el('p', 'meta', summary);
  const progressRow = el('div', 'progress-row', summary);
  const progress = el('progress', 'progress', progressRow);
  progress.max = 1;
  progress.setAttribute('aria-label', `Upload of ${item.name}`);
  const status = el('span', 'status', progressRow);
  const outcome = el('div', 'outcome', root);
  const predictions = el('ol', 'predictions', outcome);
  predictions.setAttribute('aria-label', `Top labels for ${item.name}`);
  const rows = [];
  for (let i = 0; i < 5; i++) {
    const li = el('li', 'prediction', predictions);
    const label = el('span', 'label', li);
    const score = el('span', 'score', li);
    const bar = el('span', 'bar', li);
    bar.setAttribute('aria-hidden', 'true');
    rows.push({ li, label, score, fill: el('span', 'fill', bar) });
  }
  const problem = el('div', 'problem', outcome);
  const problemText = el('p', 'problem-text', problem);
  // The server's own message is behind a disclosure: shown on demand, it never moves the page.
  const details = el('details', 'problem-detail', problem);
  el('summary', '', details).textContent = 'Details';
  const problemDetail = el('p', '', details);
  const retryButton = button(problem, 'retry', 'retry', 'Retry');
  retryButton.setAttribute('aria-label', `Retry ${item.name}`);
  const timings = el('p', 'timings', root);
  const removeButton = button(root, 'remove', 'remove', 'Remove');
  // A restored card waits, blank, for its kept preview (results.js).
  if (thumbUrl) setThumb(thumb, thumbUrl);
  return {
    root,
    thumb,
    name,
    meta,
    progress,
    status,
    predictions,
    rows,
    problem,
    problemText,
    problemDetail,
    retryButton,
    timings,
    removeButton,
  };
}

/** Shows the preview at `url`, or says there is none (a TIFF the browser cannot show, say). */
export function setThumb(thumb, url) {
  if (!url) return setPlaceholder(thumb, 'No preview');
  const img = el('img', '');
  img.alt = '';
  img.decoding = 'async';
  img.addEventListener('error', () => setPlaceholder(thumb, 'No preview'));
  img.src = url;
  thumb.replaceChildren(img);
}

function setPlaceholder(thumb, text) {
  const span = el('span', 'placeholder');
  span.textContent = text;
  thumb.replaceChildren(span);
}

/** Brings the card up to date with its item; `canUpload` tells whether the file is still at hand. */
export function renderCard(card, item, canUpload) {
  const result = item.result;
  const state = stateOf(item);
  card.root.dataset.state = state;
  card.root.dataset.id = item.id || '';
  // Removing a file still in flight cancels it (its upload is aborted, its polling stops).
  card.removeButton.textContent = state === 'pending' ? 'Cancel' : 'Remove';
  card.removeButton.setAttribute('aria-label', `${card.removeButton.textContent} ${item.name}`);

  const source = (result && result.source) || {};
  const parts = [formatBytes(item.size), item.type];
  if (source.width && source.height) parts.push(`${source.width} × ${source.height} px`);
  card.meta.textContent = parts.join(' · ');

  renderProgress(card, item);

  const predictions = state === 'succeeded' ? result.predictions || [] : [];
  card.predictions.hidden = state === 'failed';
  card.predictions.setAttribute('aria-hidden', String(state !== 'succeeded'));
  card.rows.forEach((row, i) => {
    const p = predictions[i];
    row.li.classList.toggle('skeleton', !p);
    row.label.textContent = p ? p.label : '';
    row.label.title = p ? p.label : ''; // a long label is cut to its column
    row.score.textContent = p ? formatScore(p.score) : '';
    row.fill.style.width = p ? `${Math.max(0, Math.min(1, p.score)) * 100}%` : '0';
  });

  card.problem.hidden = state !== 'failed';
  if (state === 'failed') {
    card.problemText.textContent = humanError(item.error);
    card.problemDetail.textContent = `${item.error.code}${item.error.message ? `: ${item.error.message}` : ''}`;
    card.retryButton.hidden = !retryKind(item, canUpload);
  }

  // A file refused before decoding has all-zero timings: not worth a line.
  const t = result && result.timings;
  const timed = t && Object.values(t).some((v) => typeof v === 'number' && v > 0);
  card.timings.textContent =
    timed && state !== 'pending'
      ? `Timings: queue ${formatMs(t.queueMs)}, download ${formatMs(t.downloadMs)}, decode ${formatMs(t.decodeMs)}, inference ${formatMs(t.inferMs)}, total ${formatMs(t.totalMs)}`
      : '';
}

/** The progress bar and status line alone: upload progress events come many times a second. */
export function renderProgress(card, item) {
  card.progress.value = item.progress || 0;
  card.progress.classList.toggle('done', !['queued', 'requesting', 'uploading'].includes(item.phase));
  card.status.textContent = statusText(item);
}
