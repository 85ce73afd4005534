// The upload queue: for each file, ask POST /api/uploads for a SAS URL, PUT the bytes straight
// to Blob Storage (a few at a time), then poll the status URL until the result is terminal.
// Items change here; results.js shows them.
import { getResult, pollDelay, putBlob, requestUpload, sleep } from './api.js';
import { retryKind } from './messages.js';
import { chosenModel } from './server.js';
import { finish, isKept, renderEntry, renderEntryProgress, save } from './results.js';

/** Uploads (request URL + PUT) at once; polling does not hold a slot. */
const MAX_CONCURRENT_UPLOADS = 4;
const POLL_GIVE_UP_MS = 120_000;

const waiting = [];
let activeUploads = 0;

function setPhase(entry, phase) {
  entry.item.phase = phase;
  renderEntry(entry);
  save();
}

/** Puts `entry` (new, or failed and retried) at the back of the queue. */
export function enqueue(entry) {
  Object.assign(entry.item, { phase: 'queued', progress: 0, id: undefined, statusUrl: undefined });
  delete entry.item.result;
  delete entry.item.error;
  waiting.push(entry);
  renderEntry(entry);
  pump();
}

/** Forgets every file still waiting for a slot (the list was cleared). */
export function dropWaiting() {
  waiting.length = 0;
}

function pump() {
  while (activeUploads < MAX_CONCURRENT_UPLOADS && waiting.length > 0) {
    const entry = waiting.shift();
    if (!isKept(entry)) continue;
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
  try {
    const ticket = await requestUpload({
      fileName: item.name,
      contentType: item.type,
      size: item.size,
      model: chosenModel(),
    });
    if (!isKept(entry)) return;
    Object.assign(item, { id: ticket.id, statusUrl: ticket.statusUrl });
    setPhase(entry, 'uploading');
    const put = putBlob(ticket, entry.file, (fraction) => {
      item.progress = fraction;
      renderEntryProgress(entry);
    });
    entry.abort = put.abort;
    await put.done.finally(() => (entry.abort = undefined));
  } catch (error) {
    finish(entry, error);
    return;
  }
  item.progress = 1;
  setPhase(entry, 'polling');
  void pollUntilDone(entry);
}

/** Asks for the result, quickly at first, until it is terminal or two minutes have passed. */
export async function pollUntilDone(entry) {
  const { item } = entry;
  const token = {};
  entry.pollToken = token;
  // Removed, or a retry started its own loop.
  const stopped = () => entry.pollToken !== token || !isKept(entry);
  const deadline = Date.now() + POLL_GIVE_UP_MS;
  for (let attempt = 0; ; attempt++) {
    await sleep(pollDelay(attempt));
    if (stopped()) return;
    const result = await getResult(item.statusUrl); // undefined on a blip: ask again until the deadline
    if (stopped()) return;
    if (result === 'gone')
      return finish(entry, { code: 'not_found', message: `${item.statusUrl} answered 404.` });
    if (result) {
      item.result = result;
      if (result.status === 'succeeded') return finish(entry);
      if (result.status === 'failed')
        return finish(entry, result.error || { code: 'internal_error', message: '' });
      renderEntry(entry);
      save();
    }
    if (Date.now() > deadline) {
      return finish(entry, {
        code: 'timeout',
        message: `Last status: ${(item.result && item.result.status) || 'none'}.`,
      });
    }
  }
}

/** Tries a failed file again: uploads it again, or only asks for its result again. */
export function retry(entry) {
  const kind = retryKind(entry.item, Boolean(entry.file));
  if (kind === 'poll') {
    delete entry.item.error;
    setPhase(entry, 'polling');
    void pollUntilDone(entry);
  } else if (kind === 'upload') {
    enqueue(entry);
    save();
  }
}
