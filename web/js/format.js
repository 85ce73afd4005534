// How the page writes numbers, sizes and durations, and CSV cells. Pure functions: unit-tested
// in jest (test/web/unit), used by every view.

/** A size as people read it: "512 bytes", "240.5 KiB", "3.1 MiB". */
export function formatBytes(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A limit as people write it: "20 MiB", not "20.0 MiB". */
export function formatLimit(n) {
  return n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : formatBytes(n);
}

export function formatScore(score) {
  return `${(score * 100).toFixed(1)} %`;
}

export function formatMs(value) {
  return typeof value === 'number' ? `${Math.round(value)} ms` : '–';
}

/** "45 s", "3 min 5 s"; never "0 s" for work still to do. */
export function formatDuration(seconds) {
  const s = Math.round(seconds);
  return s < 60 ? `${Math.max(1, s)} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** "A", "A or B", "A, B or C". */
export function formatChoices(names) {
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0] || '';
}

/** A spreadsheet runs a cell starting like a formula; a leading quote stops it (OWASP, as src/lib/results/csv.ts). */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function csvCell(value) {
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
