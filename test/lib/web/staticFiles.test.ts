/** The page's file server (src/lib/web/staticFiles.ts): exact relative paths only, types by extension. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WEB_DIR } from '../../../src/lib/paths';
import { staticFiles } from '../../../src/lib/web/staticFiles';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'static-'));
  mkdirSync(path.join(dir, 'js', 'deep'), { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
  writeFileSync(path.join(dir, 'js', 'app.js'), 'export {};');
  writeFileSync(path.join(dir, 'js', 'deep', 'x.css'), 'a{}');
  writeFileSync(path.join(dir, 'notes.md'), '# not served');
  writeFileSync(path.join(path.dirname(dir), 'outside.js'), 'secret');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('serves what the folder held at start-up by exact relative path, with its type', () => {
  const file = staticFiles(dir);
  writeFileSync(path.join(dir, 'late.js'), 'added after start-up');
  expect(file('')?.contentType).toBe('text/html; charset=utf-8');
  expect(file('index.html')?.body.toString()).toBe('<!doctype html>');
  expect(file('js/app.js')?.contentType).toBe('text/javascript; charset=utf-8');
  expect(file('js/deep/x.css')?.contentType).toBe('text/css; charset=utf-8');
  for (const refused of [
    'late.js',
    'notes.md',
    '../outside.js',
    'js/../index.html',
    '/index.html',
    'js',
    'JS/app.js',
  ])
    expect(file(refused)).toBeUndefined();
});

it('serves every module the shipped page imports', () => {
  const file = staticFiles(WEB_DIR);
  const html = readFileSync(path.join(WEB_DIR, 'index.html'), 'utf8');
  const entry = /<script type="module" src="([^"]+)"/.exec(html)?.[1];
  expect(entry).toBe('js/app.js');
  const seen = new Set<string>();
  const visit = (modulePath: string): void => {
    if (seen.has(modulePath)) return;
    seen.add(modulePath);
    const served = file(modulePath);
    expect({ modulePath, type: served?.contentType }).toEqual({
      modulePath,
      type: 'text/javascript; charset=utf-8',
    });
    for (const [, spec] of served!.body.toString().matchAll(/\bfrom '(\.[^']+)';$/gm))
      visit(path.posix.join(path.posix.dirname(modulePath), spec));
  };
  visit(entry!);
  expect(seen.size).toBeGreaterThan(10);
});
