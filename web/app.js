// The upload page. For each chosen file: check type and size here, ask POST /api/uploads for a
// SAS URL, PUT the bytes straight to Blob Storage (XMLHttpRequest, for upload progress), then
// poll the status URL until the result is terminal. Results live in sessionStorage so they
// survive a reload. Plain script, no build step. The page's CSP forbids inline script and
// style, so styling goes through classes, or the CSSOM (el.style.width), which CSP allows.
// Data from files and the server is only ever set with textContent, never as HTML.
'use strict';

(() => {
  /** The contract's default limit (20 MiB); the server checks again and answers 413 if lower. */
  const MAX_BYTES = 20 * 1024 * 1024;
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
  const ACCEPTED_TYPES = new Set(Object.values(TYPE_BY_EXTENSION));
  /** Uploads (request URL + PUT) at once; polling does not hold a slot. */
  const MAX_CONCURRENT_UPLOADS = 4;
  /** Fast at first (a small image is classified in well under a second), then easing off to 3 s. */
  const POLL_DELAYS_MS = [250, 250, 250, 500, 500, 750, 1000, 1500, 2000, 3000];
  const POLL_GIVE_UP_MS = 120_000;
  const STORAGE_KEY = 'image-classifier.uploads.v1';
  const MAX_KEPT = 200;

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
  };

  /** key -> { item, card, file?, thumbUrl?, xhr?, pollToken? }; `item` is what sessionStorage keeps. */
  const entries = new Map();
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
    if (!ACCEPTED_TYPES.has(type)) {
      const what = type ? `a ${type} file` : 'of an unknown type';
      return `“${file.name}” was not uploaded: it is ${what}. Choose a JPEG, PNG, WebP, GIF, TIFF or AVIF image.`;
    }
    if (file.size === 0) return `“${file.name}” was not uploaded: it is empty (0 bytes).`;
    if (file.size > MAX_BYTES) {
      return `“${file.name}” was not uploaded: it is ${formatBytes(file.size)}, over the 20 MiB limit. Resize or compress it.`;
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
      const item = { key: newKey(), name: file.name, size: file.size, type, phase: 'queued', progress: 0 };
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

  function succeed(entry) {
    const { item } = entry;
    item.phase = 'done';
    render(entry);
    save();
    const top = (item.result.predictions || [])[0];
    announce(top ? `${item.name}: ${top.label}, ${formatScore(top.score)}.` : `${item.name}: done.`);
  }

  function fail(entry, error) {
    const { item } = entry;
    item.phase = 'failed';
    item.error = { code: String(error.code || 'internal_error'), message: String(error.message || '') };
    render(entry);
    save();
    announce(`${item.name} failed: ${humanError(item.error)}`);
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

  function createCard(entry) {
    const el = (tag, className, parent) => {
      const node = document.createElement(tag);
      if (className) node.className = className;
      if (parent) parent.append(node);
      return node;
    };
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

  // ---- keeping results across reloads ----

  function save() {
    const items = [...entries.values()].map(({ item }) => item);
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(items));
    } catch {
      // Storage full or disabled: the page still works, results just won't survive a reload.
    }
  }

  function trimKept() {
    for (const [key, entry] of entries) {
      if (entries.size <= MAX_KEPT) break;
      if (entry.item.phase === 'done' || entry.item.phase === 'failed') removeEntry(key);
    }
  }

  function restore() {
    let items = [];
    try {
      items = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || '[]');
    } catch {
      items = [];
    }
    if (!Array.isArray(items)) return;
    for (const item of items) {
      if (!item || typeof item.key !== 'string' || typeof item.name !== 'string') continue;
      const entry = { item };
      entries.set(item.key, entry);
      entry.card = createCard(entry);
      els.results.append(entry.card.root);
      if (item.phase === 'polling' && item.statusUrl) {
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

  for (const node of document.querySelectorAll('.origin')) node.textContent = location.origin;

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

  restore();
  void showModel();
  void offerModels();
})();
