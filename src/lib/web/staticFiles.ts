/**
 * Serves the upload page from web/ (the page, its styles and its ES modules under js/). Only
 * files that exist there at start-up are served, by exact relative path, so no request path
 * can reach outside the folder.
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
  const read = (folder: string, prefix: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) read(full, `${prefix}${entry.name}/`);
      const type = entry.isFile() ? TYPES[path.extname(entry.name)] : undefined;
      if (type) files.set(`${prefix}${entry.name}`, { body: readFileSync(full), contentType: type });
    }
  };
  read(dir, '');
  return (requestPath) => files.get(requestPath === '' ? 'index.html' : requestPath);
}
