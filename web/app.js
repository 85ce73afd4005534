// The upload page. For each chosen file: check type and size here, ask POST /api/uploads for a
// SAS URL, PUT the bytes straight to Blob Storage (XMLHttpRequest, for upload progress), then
// poll the status URL until the result is terminal. Results live in sessionStorage so they
// survive a reload. Plain script, no build step. The page's CSP forbids inline script and
// style, so styling goes through classes, or the CSSOM (el.style.width), which CSP allows.
// Data from files and the server is only ever set with textContent, never as HTML.
'use strict';

(() => {
  /** The byte limit: the contract's default until GET /api/limits answers; the server checks again (413). */
  let maxBytes = 20 * 1024 * 1024;
  /** Declared types the server accepts; an empty type (some systems, e.g. for AVIF) falls back to the extension. */
  const TYPE_BY_EXTENSION = {
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    jfif: 'image/jpeg',
    png: 'image/png',
    webp: 'image/webp',
    gif: 'image/gif',
    tif: 'image/tiff',
    tiff: 'image/tiff',
    avif: 'image/avif',
  };
  const TYPE_NAMES = {
    'image/jpeg': 'JPEG',
    'image/png': 'PNG',
    'image/webp': 'WebP',
    'image/gif': 'GIF',
    'image/tiff': 'TIFF',
    'image/avif': 'AVIF',
  };
  /** Replaced by the server's list (GET /api/limits) when it answers. */
  let acceptedTypes = new Set(Object.values(TYPE_BY_EXTENSION));
  /** Uploads (request URL + PUT) at once; polling does not hold a slot. */
  const MAX_CONCURRENT_UPLOADS = 4;
  /** Fast at first (a small image is classified in well under a second), then easing off to 3 s. */
  const POLL_DELAYS_MS = [250, 250, 250, 500, 500, 750, 1000, 1500, 2000, 3000];
  const POLL_GIVE_UP_MS = 120_000;
  const STORAGE_KEY = 'image-classifier.uploads.v1';
  /** Results kept on the page (and in sessionStorage): a batch of a thousand photos fits. */
  const MAX_KEPT = 1000;

  /** Human text for the contract's error codes, plus the page's own (network, timeout, ...). */
  const ERROR_TEXT = {
    empty_file: 'This file is empty (0 bytes). Choose an image that has content.',
    file_too_large: 'This file is larger than the server accepts (20 MiB by default). Resize or compress it.',
    unsupported_format:
      'This file is not an image the classifier can read. Use JPEG, PNG, WebP, GIF, TIFF or AVIF.',
    image_too_large: 'This image has too many pixels (over 50 megapixels). Scale it down and try again.',
    corrupt_image: 'This image looks damaged or truncated and could not be decoded. Try saving it again.',
    blob_not_found: 'The uploaded file disappeared before it could be classified. Upload it again.',
    internal_error: 'Something went wrong on the server while classifying this image. Try again.',
    bad_request: 'The server refused the upload request.',
    not_found: 'The server no longer knows this upload (its result expired or was removed).',
    network: 'The connection failed. Check your network, then try again.',
    upload_failed: 'Storage refused the upload. The upload link may have expired; try again.',
    request_failed: 'The server could not start the upload. Try again in a moment.',
    timeout: 'No result after 2 minutes. The server may be busy; check again.',
    interrupted: 'The page was reloaded before this file finished uploading. Choose the file again.',
  };
  /** Failures worth retrying. Bad input (unsupported_format, corrupt_image, ...) would fail again. */
  const RETRY_BY_UPLOAD = new Set([
    'network',
    'upload_failed',
    'request_failed',
    'internal_error',
    'blob_not_found',
  ]);
  const RETRY_BY_POLLING = new Set(['timeout']);

  const STATUS_TEXT = {
    // Short enough for one line next to the thumbnail at 360 px.
    queued: 'Waiting to upload…',
    requesting: 'Preparing upload…',
    awaiting_upload: 'Uploaded, waiting…',
    queuedOnServer: 'Queued…',
    processing: 'Classifying…',
    succeeded: 'Done',
    failed: 'Failed',
  };

  const $ = (id) => document.getElementById(id);
  const els = {
    input: $('file-input'),
    dropzone: $('dropzone'),
    rejections: $('rejection-list'),
    results: $('results'),
    empty: $('empty'),
    clear: $('clear'),
    announcer: $('announcer'),
    modelName: $('model-name'),
    modelChoice: $('model-choice'),
    modelSelect: $('model-select'),
    resultsHeading: $('results-heading'),
    accepted: $('accepted'),
    summary: $('summary'),
    toolbar: $('toolbar'),
    filterText: $('filter-text'),
    filterStatus: $('filter-status'),
    sort: $('sort'),
    noneMatch: $('none-match'),
    downloadCsv: $('download-csv'),
    downloadJsonl: $('download-jsonl'),
  };

  /** key -> { item, card, file?, thumbUrl?, xhr?, pollToken? }; `item` is what sessionStorage keeps. */
  const entries = new Map();
  /** When the current batch began (the first file added to an empty page), for the rate and ETA. */
  const batch = { startedAt: 0, finished: 0 };
  let nextAdded = 0;
  const waiting = [];
  let activeUploads = 0;

  // ---- choosing files ----

  /** Non-standard names some systems declare for JPEG. */
  const TYPE_ALIASES = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg' };

  function typeOf(file) {
    const declared = (file.type || '').toLowerCase();
    if (declared) return TYPE_ALIASES[declared] || declared;
    const ext = /\.([a-z0-9]+)$/i.exec(file.name);
    return (ext && TYPE_BY_EXTENSION[ext[1].toLowerCase()]) || '';
  }

  /** The reason a file cannot be sent, or '' when it can. */
  function rejectionFor(file, type) {
    if (!acceptedTypes.has(type)) {
      const what = type ? `a ${type} file` : 'of an unknown type';
      return `“${file.name}” was not uploaded: it is ${what}. Choose a JPEG, PNG, WebP, GIF, TIFF or AVIF image.`;
    }
    if (file.size === 0) return `“${file.name}” was not uploaded: it is empty (0 bytes).`;
    if (file.size > maxBytes) {
      return `“${file.name}” was not uploaded: it is ${formatBytes(file.size)}, over the ${formatLimit(maxBytes)} limit. Resize or compress it.`;
    }
    return '';
  }

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
      if (!batch.startedAt) Object.assign(batch, { startedAt: Date.now(), finished: 0 });
      const item = {
        key: newKey(),
        name:
          file.name || `pasted-${entries.size + 1}.${(type.split('/')[1] || 'png').replace('jpeg', 'jpg')}`,
        size: file.size,
        type,
        phase: 'queued',
        progress: 0,
        added: nextAdded++,
      };
      const entry = { item, file, thumbUrl: URL.createObjectURL(file) };
      entries.set(item.key, entry);
      entry.card = createCard(entry);
      els.results.append(entry.card.root);
      enqueue(entry);
    }
    trimKept();
    save();
    renderList();
  }

  function newKey() {
    return typeof crypto.randomUUID === 'function'
      ? crypto.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  }

  // ---- uploading, with bounded concurrency ----

  function enqueue(entry) {
    Object.assign(entry.item, { phase: 'queued', progress: 0, id: undefined, statusUrl: undefined });
    delete entry.item.result;
    delete entry.item.error;
    waiting.push(entry);
    render(entry);
    pump();
  }

  function pump() {
    while (activeUploads < MAX_CONCURRENT_UPLOADS && waiting.length > 0) {
      const entry = waiting.shift();
      if (!entries.has(entry.item.key)) continue;
      activeUploads++;
      upload(entry).finally(() => {
        activeUploads--;
        pump();
      });
    }
  }

  async function upload(entry) {
    const { item } = entry;
    setPhase(entry, 'requesting');
    let ticket;
    try {
      const response = await fetch('api/uploads', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          fileName: item.name,
          contentType: item.type,
          size: item.size,
          // Only when the server offers a choice (GET /api/models lists more than one).
          model: els.modelChoice.hidden ? undefined : els.modelSelect.value,
        }),
      });
      const body = await response.json().catch(() => undefined);
      if (response.status !== 201 || !body || typeof body.uploadUrl !== 'string') {
        const error = body && body.error && body.error.code ? body.error : undefined;
        return fail(
          entry,
          error || { code: 'request_failed', message: `The server answered HTTP ${response.status}.` },
        );
      }
      ticket = body;
    } catch (err) {
      return fail(entry, { code: 'network', message: String(err && err.message) });
    }
    if (!entries.has(item.key)) return;
    Object.assign(item, { id: ticket.id, statusUrl: ticket.statusUrl });
    setPhase(entry, 'uploading');
    try {
      await put(entry, ticket);
    } catch (error) {
      if (entries.has(item.key)) fail(entry, error);
      return;
    }
    item.progress = 1;
    setPhase(entry, 'polling');
    void pollUntilDone(entry);
  }

  /** PUT with XMLHttpRequest: fetch() cannot report upload progress. Rejects with { code, message }. */
  function put(entry, ticket) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      entry.xhr = xhr;
      xhr.open(ticket.method || 'PUT', ticket.uploadUrl);
      for (const [name, value] of Object.entries(ticket.headers || {})) xhr.setRequestHeader(name, value);
      xhr.upload.addEventListener('progress', (event) => {
        if (!event.lengthComputable) return;
        entry.item.progress = event.loaded / event.total;
        renderProgress(entry);
      });
      xhr.addEventListener('load', () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject({ code: 'upload_failed', message: `Storage answered HTTP ${xhr.status}.` });
      });
      xhr.addEventListener('error', () =>
        reject({ code: 'network', message: 'The upload to storage failed.' }),
      );
      xhr.addEventListener('abort', () => reject({ code: 'network', message: 'The upload was cancelled.' }));
      xhr.send(entry.file);
    }).finally(() => {
      entry.xhr = undefined;
    });
  }

  // ---- polling ----

  async function pollUntilDone(entry) {
    const { item } = entry;
    const token = {};
    entry.pollToken = token;
    const deadline = Date.now() + POLL_GIVE_UP_MS;
    for (let attempt = 0; ; attempt++) {
      await sleep(POLL_DELAYS_MS[Math.min(attempt, POLL_DELAYS_MS.length - 1)]);
      // Cleared, or a retry started its own loop.
      if (entry.pollToken !== token || !entries.has(item.key)) return;
      let response;
      try {
        response = await fetch(item.statusUrl, {
          headers: { accept: 'application/json' },
          cache: 'no-store',
        });
      } catch {
        response = undefined; // a network blip: keep trying until the deadline
      }
      if (entry.pollToken !== token || !entries.has(item.key)) return;
      if (response && response.status === 404) {
        return fail(entry, { code: 'not_found', message: `${item.statusUrl} answered 404.` });
      }
      const result = response && response.ok ? await response.json().catch(() => undefined) : undefined;
      if (result && typeof result.status === 'string') {
        item.result = result;
        if (result.status === 'succeeded') return succeed(entry);
        if (result.status === 'failed')
          return fail(entry, result.error || { code: 'internal_error', message: '' });
        render(entry);
        save();
      }
      if (Date.now() > deadline) {
        return fail(entry, {
          code: 'timeout',
          message: `Last status: ${(item.result && item.result.status) || 'none'}.`,
        });
      }
    }
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // ---- outcomes ----

  function setPhase(entry, phase) {
    entry.item.phase = phase;
    render(entry);
    save();
  }

  /** Up to this many files in flight, each result is announced; beyond, only the end of the batch. */
  const FEW = 10;

  function pendingCount() {
    let n = 0;
    for (const { item } of entries.values()) if (stateOf(item) === 'pending') n++;
    return n;
  }

  function succeed(entry) {
    const { item } = entry;
    if (!entries.has(item.key)) return; // removed while its last answer was on the way
    item.phase = 'done';
    batch.finished++;
    render(entry);
    save();
    const top = (item.result.predictions || [])[0];
    if (pendingCount() + batch.finished <= FEW)
      announce(top ? `${item.name}: ${top.label}, ${formatScore(top.score)}.` : `${item.name}: done.`);
  }

  function fail(entry, error) {
    const { item } = entry;
    if (!entries.has(item.key)) return;
    item.phase = 'failed';
    item.error = { code: String(error.code || 'internal_error'), message: String(error.message || '') };
    batch.finished++;
    render(entry);
    save();
    if (pendingCount() + batch.finished <= FEW) announce(`${item.name} failed: ${humanError(item.error)}`);
  }

  function humanError(error) {
    return ERROR_TEXT[error.code] || error.message || ERROR_TEXT.internal_error;
  }

  function canRetry(entry) {
    const { item } = entry;
    if (item.phase !== 'failed' || !item.error) return false;
    if (RETRY_BY_POLLING.has(item.error.code)) return Boolean(item.statusUrl);
    return RETRY_BY_UPLOAD.has(item.error.code) && Boolean(entry.file);
  }

  function retry(entry) {
    const { item } = entry;
    entry.card.name.focus(); // the button is about to disappear; keep focus on this card
    if (RETRY_BY_POLLING.has(item.error.code)) {
      delete item.error;
      setPhase(entry, 'polling');
      void pollUntilDone(entry);
    } else {
      enqueue(entry);
      save();
    }
  }

  function announce(text) {
    const p = document.createElement('p');
    p.textContent = text;
    els.announcer.append(p);
    while (els.announcer.childElementCount > 20) els.announcer.firstElementChild.remove();
  }

  // ---- rendering ----

  /** A new element with a class, appended to `parent` when given (cards and job cards are built with it). */
  function el(tag, className, parent) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (parent) parent.append(node);
    return node;
  }

  function createCard(entry) {
    const root = el('li', 'card');
    const thumb = el('div', 'thumb', root);
    const summary = el('div', 'summary', root);
    const name = el('h3', 'name', summary);
    name.tabIndex = -1;
    name.textContent = entry.item.name;
    const meta = el('p', 'meta', summary);
    const progressRow = el('div', 'progress-row', summary);
    const progress = el('progress', 'progress', progressRow);
    progress.max = 1;
    progress.setAttribute('aria-label', `Upload of ${entry.item.name}`);
    const status = el('span', 'status', progressRow);
    const outcome = el('div', 'outcome', root);
    const predictions = el('ol', 'predictions', outcome);
    predictions.setAttribute('aria-label', `Top labels for ${entry.item.name}`);
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
    const retryButton = el('button', 'button retry', problem);
    retryButton.type = 'button';
    retryButton.textContent = 'Retry';
    retryButton.setAttribute('aria-label', `Retry ${entry.item.name}`);
    retryButton.addEventListener('click', () => retry(entry));
    const timings = el('p', 'timings', root);
    const removeButton = el('button', 'button remove', root);
    removeButton.type = 'button';
    removeButton.textContent = 'Remove';
    removeButton.setAttribute('aria-label', `Remove ${entry.item.name}`);
    removeButton.addEventListener('click', () => {
      const shown = (node, step) => {
        let n = node[step];
        while (n && n.hidden) n = n[step];
        return n;
      };
      const next =
        shown(entry.card.root, 'nextElementSibling') || shown(entry.card.root, 'previousElementSibling');
      removeEntry(entry.item.key);
      save();
      renderList();
      announce(`${entry.item.name} removed.`);
      // Keep keyboard users in the list: the next card's name, else the file chooser.
      const name = next && next.querySelector('.name');
      if (name) name.focus();
      else els.input.focus();
    });

    if (entry.thumbUrl) {
      const img = el('img', '', thumb);
      img.alt = '';
      img.decoding = 'async';
      img.addEventListener('error', () => setPlaceholder(thumb, 'No preview')); // e.g. TIFF
      img.src = entry.thumbUrl;
    } else {
      setPlaceholder(thumb, 'No preview after reload');
    }
    return {
      root,
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

  function setPlaceholder(thumb, text) {
    const span = document.createElement('span');
    span.className = 'placeholder';
    span.textContent = text;
    thumb.replaceChildren(span);
  }

  function render(entry) {
    const { item, card } = entry;
    const result = item.result;
    const state = item.phase === 'done' ? 'succeeded' : item.phase === 'failed' ? 'failed' : 'pending';
    card.root.dataset.state = state;
    card.root.dataset.id = item.id || '';
    // Removing a file still in flight cancels it (its upload is aborted, its polling stops).
    card.removeButton.textContent = state === 'pending' ? 'Cancel' : 'Remove';
    card.removeButton.setAttribute('aria-label', `${card.removeButton.textContent} ${item.name}`);

    const source = (result && result.source) || {};
    const parts = [formatBytes(item.size), item.type];
    if (source.width && source.height) parts.push(`${source.width} × ${source.height} px`);
    card.meta.textContent = parts.join(' · ');

    card.status.textContent = statusText(item);
    renderProgress(entry);

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
      card.retryButton.hidden = !canRetry(entry);
    }

    // A file refused before decoding has all-zero timings: not worth a line.
    const t = result && result.timings;
    const timed = t && Object.values(t).some((v) => typeof v === 'number' && v > 0);
    card.timings.textContent =
      timed && state !== 'pending'
        ? `Timings: queue ${ms(t.queueMs)}, download ${ms(t.downloadMs)}, decode ${ms(t.decodeMs)}, inference ${ms(t.inferMs)}, total ${ms(t.totalMs)}`
        : '';
    scheduleView();
  }

  // ---- the batch: summary, filter, sort, view ----

  let viewScheduled = false;
  /** Summary, filter and order follow every change, at most a few times a second (a 500-file batch changes often). */
  function scheduleView() {
    if (viewScheduled) return;
    viewScheduled = true;
    setTimeout(() => {
      viewScheduled = false;
      renderSummary();
      applyView();
    }, 200);
  }

  function stateOf(item) {
    return item.phase === 'done' ? 'succeeded' : item.phase === 'failed' ? 'failed' : 'pending';
  }

  function renderSummary() {
    let done = 0;
    let failed = 0;
    let pending = 0;
    for (const { item } of entries.values()) {
      const state = stateOf(item);
      if (state === 'succeeded') done++;
      else if (state === 'failed') failed++;
      else pending++;
    }
    els.summary.hidden = entries.size === 0;
    const parts = [`${done} done`, `${failed} failed`, `${pending} in progress`];
    const seconds = (Date.now() - batch.startedAt) / 1000;
    if (batch.startedAt && batch.finished > 0 && seconds > 0) {
      const rate = batch.finished / seconds;
      parts.push(`${rate.toFixed(1)} images/s`);
      if (pending > 0) parts.push(`about ${formatDuration(pending / rate)} left`);
    }
    els.summary.textContent = parts.join(' · ');
    if (pending === 0 && batch.startedAt) {
      // The batch is over: say so once (files are announced one by one only in small batches).
      if (batch.finished > FEW) announce(`All done: ${done} done, ${failed} failed.`);
      batch.startedAt = 0; // the next files start a new batch
    }
  }

  function formatDuration(seconds) {
    const s = Math.round(seconds);
    return s < 60 ? `${Math.max(1, s)} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
  }

  function matches(item) {
    const status = els.filterStatus.value;
    if (status && stateOf(item) !== status) return false;
    const text = els.filterText.value.trim().toLowerCase();
    if (!text) return true;
    const labels = ((item.result && item.result.predictions) || []).map((p) => p.label);
    return [item.name, ...labels].some((t) => t.toLowerCase().includes(text));
  }

  const collator = new Intl.Collator(undefined, { numeric: true });
  const SORTS = {
    added: (a, b) => a.item.added - b.item.added,
    name: (a, b) => collator.compare(a.item.name, b.item.name),
    score: (a, b) => topScore(b.item) - topScore(a.item) || a.item.added - b.item.added,
  };

  function topScore(item) {
    const top = item.phase === 'done' && item.result && (item.result.predictions || [])[0];
    return top ? top.score : -1;
  }

  function applyView() {
    const focused = document.activeElement;
    const sorted = [...entries.values()].sort(SORTS[els.sort.value] || SORTS.added);
    let shown = 0;
    let previous = null;
    for (const entry of sorted) {
      const visible = matches(entry.item);
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
  }

  // ---- downloads: the page's results, as the job export writes them ----

  /** A spreadsheet runs a cell starting like a formula; a leading quote stops it (OWASP, as src/lib/results/csv.ts). */
  const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

  function csvCell(value) {
    if (typeof value === 'number') return String(value);
    const text = FORMULA_START.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }

  /** The result of every finished file, the server's when there is one. */
  function finishedResults() {
    return [...entries.values()]
      .filter(({ item }) => item.phase === 'done' || item.phase === 'failed')
      .sort(SORTS[els.sort.value] || SORTS.added)
      .map(({ item }) =>
        item.result && (item.result.status === 'succeeded' || item.result.status === 'failed')
          ? item.result
          : {
              id: item.id,
              status: 'failed',
              source: { name: item.name, bytes: item.size },
              error: item.error,
            },
      );
  }

  /** Saves `data` (text or a Blob) as a file the browser downloads. */
  function download(fileName, type, data) {
    const url = URL.createObjectURL(new Blob([data], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  function downloadCsv() {
    const lines = [['name', 'status', 'label', 'score', 'errorCode', 'predictions'].join(',')];
    for (const r of finishedResults()) {
      const top = (r.predictions || [])[0];
      lines.push(
        [
          r.source.name,
          r.status,
          top ? top.label : '',
          top ? top.score : '',
          (r.error && r.error.code) || '',
          r.predictions ? JSON.stringify(r.predictions.slice(0, 5)) : '',
        ]
          .map(csvCell)
          .join(','),
      );
    }
    download('results.csv', 'text/csv', `${lines.join('\r\n')}\r\n`);
  }

  function downloadJsonl() {
    const text = finishedResults()
      .map((r) => JSON.stringify(r))
      .join('\n');
    download('results.jsonl', 'application/x-ndjson', text ? `${text}\n` : '');
  }

  function renderProgress(entry) {
    const { item, card } = entry;
    card.progress.value = item.progress || 0;
    card.progress.classList.toggle('done', !['queued', 'requesting', 'uploading'].includes(item.phase));
    if (item.phase === 'uploading')
      card.status.textContent = `Uploading ${Math.floor((item.progress || 0) * 100)} %`;
  }

  function statusText(item) {
    switch (item.phase) {
      case 'uploading':
        return `Uploading ${Math.floor((item.progress || 0) * 100)} %`;
      case 'polling': {
        const s = item.result && item.result.status;
        if (s === 'queued') return STATUS_TEXT.queuedOnServer;
        return STATUS_TEXT[s] || STATUS_TEXT.awaiting_upload;
      }
      case 'done':
        return STATUS_TEXT.succeeded;
      case 'failed':
        return STATUS_TEXT.failed;
      default:
        return STATUS_TEXT[item.phase] || '';
    }
  }

  function renderList() {
    els.empty.hidden = entries.size > 0;
    els.clear.hidden = entries.size === 0;
    els.toolbar.hidden = entries.size === 0;
    scheduleView();
  }

  /** A limit as people write it: "20 MiB", not "20.0 MiB". */
  function formatLimit(n) {
    return n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : formatBytes(n);
  }

  function formatBytes(n) {
    if (n < 1024) return `${n} bytes`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  function formatScore(score) {
    return `${(score * 100).toFixed(1)} %`;
  }

  function ms(value) {
    return typeof value === 'number' ? `${Math.round(value)} ms` : '–';
  }

  // ---- keeping results and jobs across reloads ----

  /** The list kept under `key` in a Web Storage area: [] when there is none or it is unreadable. */
  function readStoredList(storage, key) {
    try {
      const value = JSON.parse(storage.getItem(key) || '[]');
      return Array.isArray(value) ? value : [];
    } catch {
      return [];
    }
  }

  /** Keeps `list` under `key`; storage full or disabled only means it won't survive a reload. */
  function writeStoredList(storage, key, list) {
    try {
      storage.setItem(key, JSON.stringify(list));
    } catch {
      // the page still works without it
    }
  }

  function save() {
    writeStoredList(
      sessionStorage,
      STORAGE_KEY,
      [...entries.values()].map(({ item }) => item),
    );
  }

  function trimKept() {
    for (const [key, entry] of entries) {
      if (entries.size <= MAX_KEPT) break;
      if (entry.item.phase === 'done' || entry.item.phase === 'failed') removeEntry(key);
    }
  }

  function restore() {
    for (const item of readStoredList(sessionStorage, STORAGE_KEY)) {
      if (!item || typeof item.key !== 'string' || typeof item.name !== 'string') continue;
      if (typeof item.added !== 'number') item.added = nextAdded;
      nextAdded = Math.max(nextAdded, item.added + 1);
      const entry = { item };
      entries.set(item.key, entry);
      entry.card = createCard(entry);
      els.results.append(entry.card.root);
      if (item.phase === 'polling' && item.statusUrl) {
        if (!batch.startedAt) Object.assign(batch, { startedAt: Date.now(), finished: 0 });
        void pollUntilDone(entry); // the bytes are in storage: only the result is missing
      } else if (item.phase !== 'done' && item.phase !== 'failed') {
        // The file itself went with the old page: it cannot be uploaded from here.
        item.phase = 'failed';
        item.error = { code: 'interrupted', message: '' };
      }
      render(entry);
    }
    save();
    renderList();
  }

  function removeEntry(key) {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    if (entry.xhr) entry.xhr.abort();
    if (entry.thumbUrl) URL.revokeObjectURL(entry.thumbUrl);
    entry.card.root.remove();
  }

  // ---- wiring ----

  els.input.addEventListener('change', () => {
    addFiles(els.input.files);
    els.input.value = ''; // so choosing the same file again still fires "change"
  });

  els.clear.addEventListener('click', () => {
    for (const key of [...entries.keys()]) removeEntry(key);
    waiting.length = 0;
    Object.assign(batch, { startedAt: 0, finished: 0 });
    els.rejections.replaceChildren();
    save();
    renderList();
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

  for (const control of [els.filterText, els.filterStatus, els.sort]) {
    control.addEventListener(control === els.filterText ? 'input' : 'change', applyView);
  }
  for (const radio of document.querySelectorAll('input[name="view"]')) {
    radio.addEventListener('change', () =>
      els.results.classList.toggle('grid', radio.value === 'grid' && radio.checked),
    );
  }
  els.downloadCsv.addEventListener('click', downloadCsv);
  els.downloadJsonl.addEventListener('click', downloadJsonl);

  for (const node of document.querySelectorAll('.origin')) node.textContent = location.origin;

  /** The server's limits and accepted types (GET /api/limits) replace the defaults this page started with. */
  async function loadLimits() {
    try {
      const response = await fetch('api/limits', { cache: 'no-store' });
      const limits = response.ok ? await response.json() : undefined;
      if (!limits || typeof limits.maxBytes !== 'number' || !Array.isArray(limits.types)) return;
      maxBytes = limits.maxBytes;
      acceptedTypes = new Set(limits.types);
      const names = limits.types.map((t) => TYPE_NAMES[t] || t);
      const list =
        names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0];
      els.accepted.textContent = `${list}, up to ${formatLimit(maxBytes)} each.`;
      const extensions = Object.keys(TYPE_BY_EXTENSION).filter((ext) =>
        acceptedTypes.has(TYPE_BY_EXTENSION[ext]),
      );
      els.input.accept = [...limits.types, ...extensions.map((ext) => `.${ext}`)].join(',');
    } catch {
      // The defaults stay; the server still refuses what it does not accept.
    }
  }

  async function showModel() {
    try {
      const response = await fetch('api/health', { cache: 'no-store' });
      const health = await response.json();
      const model = health.model || {};
      if (model.id) els.modelName.textContent = model.id;
      else els.modelName.textContent = `unavailable (${model.message || `HTTP ${response.status}`})`;
      if (health.status !== 'ok') els.modelName.textContent += ' (service not ready)';
    } catch {
      els.modelName.textContent = 'unknown (the service did not answer)';
    }
  }

  /** Offers the installed models when there is more than one; the default is preselected. */
  async function offerModels() {
    try {
      const response = await fetch('api/models', { cache: 'no-store' });
      const models = response.ok ? await response.json() : [];
      if (!Array.isArray(models) || models.length < 2) return;
      for (const model of models) {
        const option = document.createElement('option');
        option.value = model.id;
        option.textContent = `${model.id} (${model.labels} labels${model.default ? ', default' : ''})`;
        option.selected = model.default === true;
        els.modelSelect.append(option);
      }
      els.modelChoice.hidden = false;
    } catch {
      // No choice offered: uploads use the server's default model.
    }
  }

  // ---- bulk jobs: start one over a container prefix, watch it, cancel it, download its results ----

  const JOBS_KEY = 'image-classifier.jobs.v1';
  const MAX_JOBS = 20;
  const JOB_POLL_MS = 1000;
  const jobEls = {
    form: $('job-form'),
    container: $('job-container'),
    prefix: $('job-prefix'),
    key: $('job-key'),
    error: $('job-error'),
    list: $('jobs'),
    submit: document.querySelector('#job-form button[type="submit"]'),
  };
  /** id -> { job: what localStorage keeps, view?: the last GET answer, card } */
  const jobs = new Map();

  /** The function key, when given: Azure asks for it on the job routes; it is never stored. */
  function jobHeaders(extra) {
    const headers = Object.assign({ accept: 'application/json' }, extra);
    if (jobEls.key.value) headers['x-functions-key'] = jobEls.key.value;
    return headers;
  }

  function saveJobs() {
    writeStoredList(localStorage, JOBS_KEY, [...jobs.values()].map((j) => j.job).slice(-MAX_JOBS));
  }

  async function startJob(event) {
    event.preventDefault();
    if (jobEls.submit.disabled) return; // a second Enter while the first is on its way
    jobEls.submit.disabled = true;
    try {
      await requestJob();
    } finally {
      jobEls.submit.disabled = false;
    }
  }

  async function requestJob() {
    jobEls.error.textContent = '';
    const container = jobEls.container.value.trim();
    if (!container) {
      jobEls.error.textContent = 'Name the container to classify (the drop folder is “images”).';
      jobEls.container.focus();
      return;
    }
    const body = { container, prefix: jobEls.prefix.value.trim() || undefined };
    if (!els.modelChoice.hidden) body.model = els.modelSelect.value;
    let response;
    let answer;
    try {
      response = await fetch('api/jobs', {
        method: 'POST',
        headers: jobHeaders({ 'content-type': 'application/json' }),
        body: JSON.stringify(body),
      });
      answer = await response.json().catch(() => undefined);
    } catch (err) {
      jobEls.error.textContent = `${ERROR_TEXT.network} (${String(err && err.message)})`;
      return;
    }
    if (response.status !== 202 || !answer || typeof answer.id !== 'string') {
      const error = answer && answer.error;
      jobEls.error.textContent =
        response.status === 401
          ? 'The server asks for a function key: paste the app’s key in “Function key”.'
          : `The job was not started: ${(error && error.message) || `HTTP ${response.status}`}`;
      return;
    }
    addJob({ id: answer.id, container, prefix: body.prefix || '', addedAt: Date.now() });
    saveJobs();
    announce(`Job started over ${container}/${body.prefix || ''}.`);
  }

  function addJob(job) {
    const entry = { job, card: createJobCard(job) };
    jobs.set(job.id, entry);
    jobEls.list.prepend(entry.card.root);
    void watchJob(entry);
  }

  function createJobCard(job) {
    const root = el('li', 'job');
    const title = el('h3', 'job-title', root);
    title.textContent = `${job.container}/${job.prefix}`;
    title.tabIndex = -1;
    const progress = el('progress', 'job-progress', root);
    progress.setAttribute('aria-label', `Progress of the job over ${job.container}/${job.prefix}`);
    const counts = el('p', 'job-counts', root);
    counts.textContent = 'Starting…';
    const actions = el('p', 'job-actions', root);
    const button = (text, label, onClick) => {
      const b = el('button', 'button', actions);
      b.type = 'button';
      b.textContent = text;
      b.setAttribute('aria-label', `${label} ${job.container}/${job.prefix}`);
      b.addEventListener('click', onClick);
      return b;
    };
    const cancel = button('Cancel job', 'Cancel the job over', () => void cancelJob(job));
    const csv = button('Download CSV', 'Download CSV of the job over', () => void downloadJob(job, 'csv'));
    const jsonl = button('Download JSON lines', 'Download JSON lines of the job over', () =>
      downloadJob(job, 'jsonl'),
    );
    const forget = button('Forget', 'Forget the job over', () => {
      jobs.delete(job.id);
      root.remove();
      saveJobs();
      jobEls.container.focus();
    });
    return { root, title, progress, counts, cancel, csv, jsonl, forget };
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
    for (;;) {
      if (!jobs.has(entry.job.id)) return;
      let view;
      try {
        const response = await fetch(`api/jobs/${encodeURIComponent(entry.job.id)}`, {
          headers: jobHeaders(),
          cache: 'no-store',
        });
        if (response.status === 404) {
          entry.card.counts.textContent = 'The server no longer knows this job.';
          entry.card.cancel.hidden = true;
          return;
        }
        if (!response.ok) {
          // Not worth asking again every second: a key typed in "Function key" starts the watch again.
          entry.card.counts.textContent =
            response.status === 401
              ? 'The server asks for a function key to show this job: paste it in “Function key”.'
              : `The server could not show this job (HTTP ${response.status}).`;
          return;
        }
        view = await response.json();
      } catch {
        view = undefined; // a network blip: keep watching
      }
      if (view) {
        entry.view = view;
        renderJob(entry);
        if (view.status !== 'running') return;
      }
      await sleep(JOB_POLL_MS);
    }
  }

  const JOB_STATUS_TEXT = {
    running: 'Running',
    succeeded: 'Finished',
    failed: 'Failed',
    cancelled: 'Cancelled',
  };

  function renderJob(entry) {
    const { view, card } = entry;
    const done = view.succeeded + view.failed;
    card.root.dataset.status = view.status;
    card.progress.max = Math.max(1, view.total);
    card.progress.value = done;
    const parts = [
      `${JOB_STATUS_TEXT[view.status] || view.status}: ${done} of ${view.total}${view.listingComplete ? '' : '+'} images`,
      `${view.failed} failed`,
    ];
    if (view.status === 'running' && done > 0 && view.startedAt) {
      const rate = done / Math.max(1, (Date.now() - Date.parse(view.startedAt)) / 1000);
      parts.push(`${rate.toFixed(1)} images/s`);
      if (view.listingComplete && view.pending > 0)
        parts.push(`about ${formatDuration(view.pending / rate)} left`);
    }
    if (view.skipped) parts.push(`${view.skipped} not classified`);
    if (view.reason) parts.push(view.reason);
    card.counts.textContent = parts.join(' · ');
    card.cancel.hidden = view.status !== 'running';
  }

  async function cancelJob(job) {
    try {
      const response = await fetch(`api/jobs/${encodeURIComponent(job.id)}`, {
        method: 'DELETE',
        headers: jobHeaders(),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const view = await response.json().catch(() => undefined);
      const entry = jobs.get(job.id);
      if (entry && view && typeof view.status === 'string') {
        // The button is about to hide: keep focus on this job.
        if (document.activeElement === entry.card.cancel) entry.card.title.focus();
        entry.view = view;
        renderJob(entry);
        announce(
          view.status === 'cancelled'
            ? `Job over ${job.container}/${job.prefix} cancelled.`
            : `Job over ${job.container}/${job.prefix} had already ended (${JOB_STATUS_TEXT[view.status] || view.status}).`,
        );
      }
    } catch (err) {
      jobEls.error.textContent = `The job was not cancelled: ${String(err && err.message)}`;
    }
  }

  /** Fetched (the key goes in a header, which a plain link cannot send), then saved as a file. */
  async function downloadJob(job, format) {
    try {
      const response = await fetch(`api/jobs/${encodeURIComponent(job.id)}/results?format=${format}`, {
        headers: jobHeaders(),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const type = format === 'csv' ? 'text/csv' : 'application/x-ndjson';
      download(`job-${job.id}.${format}`, type, await response.blob());
    } catch (err) {
      jobEls.error.textContent = `The results were not downloaded: ${String(err && err.message)}`;
    }
  }

  function restoreJobs() {
    for (const job of readStoredList(localStorage, JOBS_KEY)) {
      if (job && typeof job.id === 'string' && typeof job.container === 'string') addJob(job);
    }
  }

  jobEls.form.addEventListener('submit', (event) => void startJob(event));
  // A key typed after a 401: watch the jobs that stopped for want of one.
  jobEls.key.addEventListener('change', () => {
    for (const entry of jobs.values())
      if (!entry.view || entry.view.status === 'running') void watchJob(entry);
  });

  restore();
  restoreJobs();
  void loadLimits();
  void showModel();
  void offerModels();
})();
