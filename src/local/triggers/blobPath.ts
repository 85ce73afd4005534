/**
 * Blob trigger `path` patterns ("images/{name}", "in/{folder}/{name}.jpg"): the container, the
 * literal name prefix worth listing by, and a matcher that yields the `{param}` values the host
 * puts into trigger metadata (binding data). `{name}` may span "/" as in the host, since blob
 * names are flat strings; other parameters stop at the next literal.
 */
export interface BlobPathPattern {
  container: string;
  prefix: string;
  match(blobName: string): Record<string, string> | undefined;
}

export function parseBlobPath(path: string): BlobPathPattern {
  const slash = path.indexOf('/');
  const container = slash < 0 ? path : path.slice(0, slash);
  const namePattern = slash < 0 ? '' : path.slice(slash + 1);
  if (!container || container.includes('{')) {
    throw new Error(`Expected a blob trigger path like "container/{name}" but found "${path}".`);
  }
  const names: string[] = [];
  const source = namePattern
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const param = /^\{([^}]+)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]);
      return '(.+?)';
    })
    .join('');
  const re = new RegExp(`^${source || '(.+)'}$`);
  const brace = namePattern.indexOf('{');
  return {
    container,
    prefix: brace < 0 ? namePattern : namePattern.slice(0, brace),
    match(blobName) {
      const m = re.exec(blobName);
      if (!m) return undefined;
      return Object.fromEntries(names.map((n, i) => [n, m[i + 1]]));
    },
  };
}
