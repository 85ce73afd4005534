// Bulk jobs from the page: start one over a container prefix, watch its progress, cancel it,
// download its results. The jobs started here are remembered in localStorage (never the
// function key, which is only sent in a header).
import * as api from './api.js';
import { $, announce, download, el } from './dom.js';
import { NETWORK_TEXT } from './messages.js';
import { chosenModel } from './server.js';
import { readStoredList, writeStoredList } from './storedList.js';
import { JOB_STATUS_TEXT, jobSummary } from './view.js';

const JOBS_KEY = 'image-classifier.jobs.v1';
const MAX_JOBS = 20;
const JOB_POLL_MS = 1000;

const els = {
  form: $('job-form'),
  container: $('job-container'),
  prefix: $('job-prefix'),
  key: $('job-key'),
  error: $('job-error'),
  list: $('jobs'),
  submit: document.querySelector('#job-form button[type="submit"]'),
};
/** id -> { job: what localStorage keeps, view?: the last GET answer, card, watching? } */
const jobs = new Map();

const key = () => els.key.value;

function saveJobs() {
  writeStoredList(localStorage, JOBS_KEY, [...jobs.values()].map((j) => j.job).slice(-MAX_JOBS));
}

async function startJob(event) {
  event.preventDefault();
  if (els.submit.disabled) return; // a second Enter while the first is on its way
  els.submit.disabled = true;
  try {
    await requestJob();
  } finally {
    els.submit.disabled = false;
  }
}

async function requestJob() {
  els.error.textContent = '';
  const container = els.container.value.trim();
  if (!container) {
    els.error.textContent = 'Name the container to classify (the drop folder is “images”).';
    els.container.focus();
    return;
  }
  const request = { container, prefix: els.prefix.value.trim() || undefined, model: chosenModel() };
  let answer;
  try {
    answer = await api.startJob(request, key());
  } catch (err) {
    els.error.textContent = `${NETWORK_TEXT} (${err.message})`;
    return;
  }
  const { status, body } = answer;
  if (status !== 202 || !body || typeof body.id !== 'string') {
    const error = body && body.error;
    els.error.textContent =
      status === 401
        ? 'The server asks for a function key: paste the app’s key in “Function key”.'
        : `The job was not started: ${(error && error.message) || `HTTP ${status}`}`;
    return;
  }
  addJob({ id: body.id, container, prefix: request.prefix || '', addedAt: Date.now() });
  saveJobs();
  announce(`Job started over ${container}/${request.prefix || ''}.`);
}

function addJob(job) {
  const entry = { job, card: createJobCard(job) };
  jobs.set(job.id, entry);
  els.list.prepend(entry.card.root);
  void watchJob(entry);
}

function createJobCard(job) {
  const where = `${job.container}/${job.prefix}`;
  const root = el('li', 'job');
  const title = el('h3', 'job-title', root);
  title.textContent = where;
  title.tabIndex = -1;
  const progress = el('progress', 'job-progress', root);
  progress.setAttribute('aria-label', `Progress of the job over ${where}`);
  const counts = el('p', 'job-counts', root);
  counts.textContent = 'Starting…';
  const actions = el('p', 'job-actions', root);
  const button = (text, label, onClick) => {
    const b = el('button', 'button', actions);
    b.type = 'button';
    b.textContent = text;
    b.setAttribute('aria-label', `${label} ${where}`);
    b.addEventListener('click', onClick);
    return b;
  };
  const cancel = button('Cancel job', 'Cancel the job over', () => void cancelJob(job));
  button('Download CSV', 'Download CSV of the job over', () => void downloadJob(job, 'csv'));
  button('Download JSON lines', 'Download JSON lines of the job over', () => void downloadJob(job, 'jsonl'));
  button('Forget', 'Forget the job over', () => {
    jobs.delete(job.id);
    root.remove();
    saveJobs();
    els.container.focus();
  });
  return { root, title, progress, counts, cancel };
}

async function watchJob(entry) {
  if (entry.watching) return; // one loop per job
  entry.watching = true;
  try {
    await watchJobLoop(entry);
  } finally {
    entry.watching = false;
  }
}

async function watchJobLoop(entry) {
  const { card } = entry;
  while (jobs.has(entry.job.id)) {
    const answer = await api.getJob(entry.job.id, key()); // undefined on a network blip: keep watching
    if (answer && answer.status === 404) {
      card.counts.textContent = 'The server no longer knows this job.';
      card.cancel.hidden = true;
      return;
    }
    if (answer && answer.status >= 300) {
      // Not worth asking again every second: a key typed in "Function key" starts the watch again.
      card.counts.textContent =
        answer.status === 401
          ? 'The server asks for a function key to show this job: paste it in “Function key”.'
          : `The server could not show this job (HTTP ${answer.status}).`;
      return;
    }
    if (answer && answer.body) {
      entry.view = answer.body;
      renderJob(entry);
      if (entry.view.status !== 'running') return;
    }
    await api.sleep(JOB_POLL_MS);
  }
}

function renderJob(entry) {
  const { view, card } = entry;
  card.root.dataset.status = view.status;
  card.progress.max = Math.max(1, view.total);
  card.progress.value = view.succeeded + view.failed;
  card.counts.textContent = jobSummary(view, Date.now());
  card.cancel.hidden = view.status !== 'running';
}

async function cancelJob(job) {
  const where = `${job.container}/${job.prefix}`;
  try {
    const view = await api.cancelJob(job.id, key());
    const entry = jobs.get(job.id);
    if (!entry || !view || typeof view.status !== 'string') return;
    // The button is about to hide: keep focus on this job.
    if (document.activeElement === entry.card.cancel) entry.card.title.focus();
    entry.view = view;
    renderJob(entry);
    announce(
      view.status === 'cancelled'
        ? `Job over ${where} cancelled.`
        : `Job over ${where} had already ended (${JOB_STATUS_TEXT[view.status] || view.status}).`,
    );
  } catch (err) {
    els.error.textContent = `The job was not cancelled: ${err.message}`;
  }
}

/** Fetched (the key goes in a header, which a plain link cannot send), then saved as a file. */
async function downloadJob(job, format) {
  try {
    const blob = await api.jobResults(job.id, format, key());
    download(`job-${job.id}.${format}`, format === 'csv' ? 'text/csv' : 'application/x-ndjson', blob);
  } catch (err) {
    els.error.textContent = `The results were not downloaded: ${err.message}`;
  }
}

/** Wires the form and shows the jobs this browser started before. */
export function startJobsView() {
  els.form.addEventListener('submit', (event) => void startJob(event));
  // A key typed after a 401: watch the jobs that stopped for want of one.
  els.key.addEventListener('change', () => {
    for (const entry of jobs.values())
      if (!entry.view || entry.view.status === 'running') void watchJob(entry);
  });
  for (const job of readStoredList(localStorage, JOBS_KEY)) {
    if (job && typeof job.id === 'string' && typeof job.container === 'string') addJob(job);
  }
}
