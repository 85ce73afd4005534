// Previews that survive a reload: a small JPEG of each image, made once by the browser and kept
// in IndexedDB under the item's key (sessionStorage keeps the results, but a File cannot be
// kept, and object URLs die with the page). Best effort: what the browser cannot decode (TIFF)
// or store shows "No preview"; nothing else on the page waits for it.

const DB_NAME = 'image-classifier.previews';
const STORE = 'previews';
/** The preview's short side in pixels: twice the largest thumbnail the page shows (8rem). */
const EDGE = 256;
/** Previews no tab has shown for this long are deleted (a closed tab's list is gone with it). */
const MAX_AGE_MS = 24 * 60 * 60 * 1000;

let opened;
function database() {
  opened ??= new Promise((resolve) => {
    try {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => resolve(undefined);
    } catch {
      resolve(undefined); // storage disabled
    }
  });
  return opened;
}

/** Runs `use(store)` in one transaction; resolves to its request's result, or undefined on any failure. */
async function withStore(mode, use) {
  const db = await database();
  if (!db) return undefined;
  return new Promise((resolve) => {
    try {
      const tx = db.transaction(STORE, mode);
      const request = use(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request && request.result);
      tx.onerror = tx.onabort = () => resolve(undefined);
    } catch {
      resolve(undefined);
    }
  });
}

/** A small JPEG of `file`, its short side EDGE pixels (never enlarged); undefined when it cannot be decoded. */
async function shrink(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
    const scale = Math.min(1, EDGE / Math.min(bitmap.width, bitmap.height));
    const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 });
  } catch {
    return undefined;
  } finally {
    if (bitmap) bitmap.close();
  }
}

// One at a time, after the uploads have started: a batch of a thousand photos decodes in turn.
let chain = Promise.resolve();

/** Makes and keeps the preview of `file` under `key`. */
export function keepPreview(key, file) {
  chain = chain.then(async () => {
    const blob = await shrink(file);
    if (blob) await withStore('readwrite', (store) => store.put({ blob, seenAt: Date.now() }, key));
  });
  return chain;
}

/** An object URL of the preview kept under `key`, or undefined; it counts as seen now. */
export async function previewUrl(key) {
  const record = await withStore('readonly', (store) => store.get(key));
  if (!record || !(record.blob instanceof Blob)) return undefined;
  void withStore('readwrite', (store) => store.put({ blob: record.blob, seenAt: Date.now() }, key));
  return URL.createObjectURL(record.blob);
}

export function forgetPreview(key) {
  void withStore('readwrite', (store) => store.delete(key));
}

/** Deletes the previews no tab has shown for a day, except those of `keys` (this page's). */
export async function prunePreviews(keys) {
  const keep = new Set(keys);
  const cutoff = Date.now() - MAX_AGE_MS;
  await withStore('readwrite', (store) => {
    const cursor = store.openCursor();
    cursor.onsuccess = () => {
      const c = cursor.result;
      if (!c) return;
      if (!keep.has(c.key) && !(c.value && c.value.seenAt > cutoff)) c.delete();
      c.continue();
    };
    return undefined;
  });
}
