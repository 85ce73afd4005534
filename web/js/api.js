// The page's client of the HTTP API (../shared/CONTRACT.md) and of Blob Storage's PUT. Every
// call resolves to plain data or rejects with { code, message } in the contract's error shape,
// so the views never read a Response. Paths are relative: the page is served by the same app.

/** Fast at first (a small image is classified in well under a second), then easing off to 3 s. */
const POLL_DELAYS_MS = [250, 250, 250, 500, 500, 750, 1000, 1500, 2000, 3000];

/** How long to wait before the `attempt`th status request (0-based). */
export function pollDelay(attempt) {
  return POLL_DELAYS_MS[Math.min(attempt, POLL_DELAYS_MS.length - 1)];
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fetch that rejects with { code: 'network' } instead of a TypeError. */
async function send(url, init) {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw { code: 'network', message: String(err && err.message) };
  }
}

/** The answer's JSON, or undefined when it has none. */
function json(response) {
  return response.json().catch(() => undefined);
}

/** POST /api/uploads: a ticket { id, uploadUrl, method, headers, statusUrl } for one file. */
export async function requestUpload({ fileName, contentType, size, model }) {
  const response = await send('api/uploads', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fileName, contentType, size, model }),
  });
  const body = await json(response);
  if (response.status === 201 && body && typeof body.uploadUrl === 'string') return body;
  if (body && body.error && body.error.code) throw body.error;
  throw { code: 'request_failed', message: `The server answered HTTP ${response.status}.` };
}

/**
 * PUTs `file` to the ticket's SAS URL with XMLHttpRequest: fetch() cannot report upload
 * progress. Returns { done, abort }; `done` rejects with { code, message }.
 */
export function putBlob(ticket, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open(ticket.method || 'PUT', ticket.uploadUrl);
    for (const [name, value] of Object.entries(ticket.headers || {})) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject({ code: 'upload_failed', message: `Storage answered HTTP ${xhr.status}.` });
    });
    xhr.addEventListener('error', () =>
      reject({ code: 'network', message: 'The upload to storage failed.' }),
    );
    xhr.addEventListener('abort', () => reject({ code: 'network', message: 'The upload was cancelled.' }));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

/**
 * GET of a status URL: the result (any status), 'gone' on 404, or undefined when there is no
 * answer worth reading (a network blip, a 5xx): the caller asks again.
 */
export async function getResult(statusUrl) {
  let response;
  try {
    response = await fetch(statusUrl, { headers: { accept: 'application/json' }, cache: 'no-store' });
  } catch {
    return undefined;
  }
  if (response.status === 404) return 'gone';
  const result = response.ok ? await json(response) : undefined;
  return result && typeof result.status === 'string' ? result : undefined;
}

/** GET of one of the page's small JSON resources (limits, health, models): undefined on any failure. */
export async function getJson(path) {
  try {
    const response = await fetch(path, { cache: 'no-store' });
    const body = await json(response);
    return { status: response.status, ok: response.ok, body };
  } catch {
    return undefined;
  }
}

// ---- jobs: the function key, when given, goes in a header (Azure asks for it on these routes) ----

function jobHeaders(key, extra) {
  const headers = { accept: 'application/json', ...extra };
  if (key) headers['x-functions-key'] = key;
  return headers;
}

function jobUrl(id, rest = '') {
  return `api/jobs/${encodeURIComponent(id)}${rest}`;
}

/** POST /api/jobs: { status, body } as answered (202 with the job, or an error). */
export async function startJob(request, key) {
  const response = await send('api/jobs', {
    method: 'POST',
    headers: jobHeaders(key, { 'content-type': 'application/json' }),
    body: JSON.stringify(request),
  });
  return { status: response.status, body: await json(response) };
}

/** GET /api/jobs/{id}: { status, body }; a network failure resolves to undefined. */
export async function getJob(id, key) {
  try {
    const response = await fetch(jobUrl(id), { headers: jobHeaders(key), cache: 'no-store' });
    return { status: response.status, body: response.ok ? await json(response) : undefined };
  } catch {
    return undefined;
  }
}

/** DELETE /api/jobs/{id}: the job's view after the cancel. */
export async function cancelJob(id, key) {
  const response = await send(jobUrl(id), { method: 'DELETE', headers: jobHeaders(key) });
  if (!response.ok) throw { code: 'request_failed', message: `HTTP ${response.status}` };
  return json(response);
}

/** GET /api/jobs/{id}/results?format=csv|jsonl as a Blob. */
export async function jobResults(id, format, key) {
  const response = await send(jobUrl(id, `/results?format=${format}`), { headers: jobHeaders(key) });
  if (!response.ok) throw { code: 'request_failed', message: `HTTP ${response.status}` };
  return response.blob();
}

// ---- search: every stored result (GET /api/results?…; the function key in Azure) ----

/** One page of a search: { status, body } as answered ({ items, continuationToken }, or an error). */
export async function searchResults(params, key) {
  const response = await send(`api/results?${params}`, { headers: jobHeaders(key), cache: 'no-store' });
  return { status: response.status, body: await json(response) };
}

/** Every match of a search as a CSV or JSON lines Blob (the server streams it). */
export async function searchDownload(params, format, key) {
  const response = await send(`api/results?${params}&format=${format}`, { headers: jobHeaders(key) });
  if (!response.ok) {
    const body = await json(response);
    throw (body && body.error) || { code: 'request_failed', message: `HTTP ${response.status}` };
  }
  return response.blob();
}
