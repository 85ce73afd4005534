/**
 * Serves the upload page from web/. Only files that exist there at start-up are served, by
 * exact name, so no request path can reach outside the folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { WEB_DIR } from '../paths';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

let files: Map<string, StaticFile> | undefined;

function load(): Map<string, StaticFile> {
  const map = new Map<string, StaticFile>();
  for (const name of readdirSync(WEB_DIR)) {
    const type = TYPES[path.extname(name)];
    if (type) map.set(name, { body: readFileSync(path.join(WEB_DIR, name)), contentType: type });
  }
  return map;
}

/** The file for a request path ('' or 'index.html' is the page), or undefined. */
export function staticFile(requestPath: string): StaticFile | undefined {
  files ??= load();
  return files.get(requestPath === '' ? 'index.html' : requestPath);
}
