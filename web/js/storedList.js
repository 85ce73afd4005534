// Lists the page keeps in Web Storage (the results in sessionStorage, the jobs in
// localStorage). A missing, unreadable or full store only means nothing survives a reload.

/** The list kept under `key` in a Web Storage area: [] when there is none or it is unreadable. */
export function readStoredList(storage, key) {
  try {
    const value = JSON.parse(storage.getItem(key) || '[]');
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

/** Keeps `list` under `key`; storage full or disabled only means it won't survive a reload. */
export function writeStoredList(storage, key, list) {
  try {
    storage.setItem(key, JSON.stringify(list));
  } catch {
    // the page still works without it
  }
}
