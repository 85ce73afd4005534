// The upload page's entry point: wires the file chooser, drops, pastes, the list's controls
// and the cards' buttons to the modules that do the work, then shows what the last page kept
// and asks the server for its limits and models. No build step: the browser loads these
// modules as they are (see index.html), under the page's CSP (script-src 'self').
import { $, announce } from './dom.js';
import { pastedName, rejectionFor, typeOf } from './files.js';
import { startJobsView } from './jobs.js';
import { startSearchView } from './search.js';
import { keepPreview } from './previews.js';
import * as results from './results.js';
import { loadLimits, offerModels, showModel } from './server.js';
import { dropWaiting, enqueue, pollUntilDone, retry } from './uploads.js';

const els = {
  input: $('file-input'),
  dropzone: $('dropzone'),
  rejections: $('rejection-list'),
  results: $('results'),
  clear: $('clear'),
  filterText: $('filter-text'),
  filterStatus: $('filter-status'),
  sort: $('sort'),
};

let pasted = 0;

function addFiles(fileList) {
  els.rejections.replaceChildren();
  for (const file of fileList) {
    const type = typeOf(file);
    const reason = rejectionFor(file, type);
    if (reason) {
      const li = document.createElement('li');
      li.textContent = reason;
      els.rejections.append(li);
      continue;
    }
    const item = { key: newKey(), name: file.name || pastedName(++pasted, type), size: file.size, type };
    enqueue(results.addEntry(item, file, URL.createObjectURL(file)));
    void keepPreview(item.key, file);
  }
  results.trimKept();
  results.save();
  results.renderList();
}

function newKey() {
  return typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** Removes (or cancels) a file, keeping keyboard users in the list: the next card's name, else the chooser. */
function remove(entry) {
  const next = results.neighbourOf(entry);
  results.removeEntry(entry.item.key);
  results.save();
  results.renderList();
  announce(`${entry.item.name} removed.`);
  const name = next && next.querySelector('.name');
  if (name) name.focus();
  else els.input.focus();
}

// The cards' buttons, by delegation: one listener for the whole list.
els.results.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  const entry = button && results.entryFor(button.closest('.card').dataset.key);
  if (!entry) return;
  if (button.dataset.action === 'remove') remove(entry);
  if (button.dataset.action === 'retry') {
    entry.card.name.focus(); // the button is about to disappear; keep focus on this card
    retry(entry);
  }
});

els.input.addEventListener('change', () => {
  addFiles(els.input.files);
  els.input.value = ''; // so choosing the same file again still fires "change"
});

els.clear.addEventListener('click', () => {
  dropWaiting();
  results.clearEntries();
  els.rejections.replaceChildren();
  announce('Results cleared.');
  els.input.focus();
});

// The whole window accepts drops, so a near miss does not open the image in place of the page.
let dragDepth = 0;
const hasFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes('Files');
window.addEventListener('dragenter', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth++;
  els.dropzone.classList.add('dragging');
});
window.addEventListener('dragover', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = 'copy';
});
window.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) els.dropzone.classList.remove('dragging');
});
window.addEventListener('drop', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth = 0;
  els.dropzone.classList.remove('dragging');
  addFiles(event.dataTransfer.files);
});

// Images pasted anywhere on the page (a screenshot, a copied file) are added like dropped ones.
document.addEventListener('paste', (event) => {
  const files = event.clipboardData ? [...event.clipboardData.files] : [];
  if (files.length === 0) return;
  event.preventDefault();
  addFiles(files);
});

els.filterText.addEventListener('input', results.applyView);
els.filterStatus.addEventListener('change', results.applyView);
els.sort.addEventListener('change', results.applyView);
for (const radio of document.querySelectorAll('input[name="view"]')) {
  radio.addEventListener('change', () =>
    els.results.classList.toggle('grid', radio.value === 'grid' && radio.checked),
  );
}
$('download-csv').addEventListener('click', results.downloadCsv);
$('download-jsonl').addEventListener('click', results.downloadJsonl);
for (const node of document.querySelectorAll('.origin')) node.textContent = location.origin;

for (const entry of results.restore()) void pollUntilDone(entry);
startJobsView();
startSearchView();
void loadLimits();
void showModel();
void offerModels();
