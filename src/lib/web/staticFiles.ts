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

/** The page's files as they are now in `dir`, by request path ('' or 'index.html' is the page). */
export function staticFiles(dir: string = WEB_DIR): (requestPath: string) => StaticFile | undefined {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type) files.set(name, { body: readFileSync(path.join(dir, name)), contentType: type });
  }
  return (requestPath) => files.get(requestPath === '' ? 'index.html' : requestPath);
}
