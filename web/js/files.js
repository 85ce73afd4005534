// Which files the page will send: the declared type (or the extension when a system declares
// none), checked against the server's limits before any upload. Pure: unit-tested in jest.
import { formatBytes, formatChoices, formatLimit } from './format.js';

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

/** Non-standard names some systems declare for JPEG. */
const TYPE_ALIASES = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg' };

/** What the page checks before sending: the contract's defaults until GET /api/limits answers (the server checks again). */
export const limits = {
  maxBytes: 20 * 1024 * 1024,
  types: new Set(Object.values(TYPE_BY_EXTENSION)),
};

/** Takes the server's answer to GET /api/limits; false when it is not one. */
export function applyLimits(answer) {
  if (!answer || typeof answer.maxBytes !== 'number' || !Array.isArray(answer.types)) return false;
  limits.maxBytes = answer.maxBytes;
  limits.types = new Set(answer.types);
  return true;
}

/** "JPEG, PNG or WebP, up to 20 MiB each." */
export function describeLimits() {
  return `${formatChoices([...limits.types].map((t) => TYPE_NAMES[t] || t))}, up to ${formatLimit(limits.maxBytes)} each.`;
}

/** The file chooser's `accept`: the types and their extensions. */
export function acceptAttribute() {
  const extensions = Object.keys(TYPE_BY_EXTENSION).filter((ext) => limits.types.has(TYPE_BY_EXTENSION[ext]));
  return [...limits.types, ...extensions.map((ext) => `.${ext}`)].join(',');
}

export function typeOf(file) {
  const declared = (file.type || '').toLowerCase();
  if (declared) return TYPE_ALIASES[declared] || declared;
  const ext = /\.([a-z0-9]+)$/i.exec(file.name);
  return (ext && TYPE_BY_EXTENSION[ext[1].toLowerCase()]) || '';
}

/** The reason a file cannot be sent, or '' when it can. */
export function rejectionFor(file, type) {
  if (!limits.types.has(type)) {
    const what = type ? `a ${type} file` : 'of an unknown type';
    return `“${file.name}” was not uploaded: it is ${what}. Choose a JPEG, PNG, WebP, GIF, TIFF or AVIF image.`;
  }
  if (file.size === 0) return `“${file.name}” was not uploaded: it is empty (0 bytes).`;
  if (file.size > limits.maxBytes) {
    return `“${file.name}” was not uploaded: it is ${formatBytes(file.size)}, over the ${formatLimit(limits.maxBytes)} limit. Resize or compress it.`;
  }
  return '';
}

/** A pasted image has no name: "pasted-3.png". */
export function pastedName(n, type) {
  return `pasted-${n}.${(type.split('/')[1] || 'png').replace('jpeg', 'jpg')}`;
}
