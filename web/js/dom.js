// Small DOM helpers every view shares. The page's CSP forbids inline script and style, so
// styling goes through classes, or the CSSOM (el.style.width), which CSP allows; data from
// files and the server is only ever set with textContent, never as HTML.

export const $ = (id) => document.getElementById(id);

/** A new element with a class, appended to `parent` when given. */
export function el(tag, className, parent) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (parent) parent.append(node);
  return node;
}

/** Says `text` to screen readers through the page's live region (the last 20 are kept). */
export function announce(text) {
  const announcer = $('announcer');
  el('p', '', announcer).textContent = text;
  while (announcer.childElementCount > 20) announcer.firstElementChild.remove();
}

/** Saves `data` (text or a Blob) as a file the browser downloads. */
export function download(fileName, type, data) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = el('a', '', document.body);
  a.href = url;
  a.download = fileName;
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Sets `text` with a line-break opportunity after each _ . - so that a long file name wraps between its parts. */
export function setBreakableText(node, text) {
  node.replaceChildren();
  for (const part of text.split(/(?<=[_.-])/)) node.append(part, document.createElement('wbr'));
  node.lastChild?.remove();
}
