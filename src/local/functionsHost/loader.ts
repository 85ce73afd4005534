/**
 * Loads the app's entry files (package.json `main`, a glob) so their `app.*` calls register.
 *
 * Mirrors azure-functions-nodejs-worker `src/startApp.ts` (`loadEntryPointFile`: glob `main`
 * relative to the app root, load each match in order, then run the `appStart` hooks). The worker
 * uses globby; `main` is nearly always `dir/*.js` or a file, so a small matcher for `*`, `?` and
 * `**` segments does here. Only CommonJS entry files are supported (the project compiles to it).
 */
import { readdir, readFile } from 'fs/promises';
import * as path from 'path';
import { executeHooks, loadIntoRegistry, realModule, type CoreRegistry } from './functionsCore';
import type { HostLogger } from './log';

function segmentRegExp(segment: string): RegExp {
  const escaped = segment
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${escaped}$`);
}

async function entries(dir: string): Promise<{ name: string; isDir: boolean }[]> {
  try {
    const list = await readdir(dir, { withFileTypes: true });
    return list
      .map((e) => ({ name: e.name, isDir: e.isDirectory() }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
}

/** Files under `root` matching a forward-slash glob, sorted for a stable load order. */
export async function globFiles(root: string, pattern: string): Promise<string[]> {
  const walk = async (dir: string, segments: string[]): Promise<string[]> => {
    const [head, ...rest] = segments;
    if (head === undefined) return [];
    const children = await entries(dir);
    if (head === '**') {
      const here = await walk(dir, rest);
      const deeper = await Promise.all(
        children.filter((c) => c.isDir).map((c) => walk(path.join(dir, c.name), segments)),
      );
      return [...here, ...deeper.flat()];
    }
    const re = segmentRegExp(head);
    const matches = children.filter((c) => re.test(c.name) && (rest.length > 0 ? c.isDir : !c.isDir));
    if (rest.length === 0) return matches.map((c) => path.join(dir, c.name));
    return (await Promise.all(matches.map((c) => walk(path.join(dir, c.name), rest)))).flat();
  };
  const files = await walk(root, pattern.replace(/^\.\//, '').split('/').filter(Boolean));
  return [...new Set(files)];
}

export interface LoadAppOptions {
  appRoot: string;
  logger: HostLogger;
}

/** Loads the entry files into a fresh registry and runs the app's `appStart` hooks. */
export async function loadApp({ appRoot, logger }: LoadAppOptions): Promise<CoreRegistry> {
  const packageJson = JSON.parse(await readFile(path.join(appRoot, 'package.json'), 'utf8')) as {
    main?: unknown;
  };
  const main = typeof packageJson.main === 'string' ? packageJson.main : 'index.js';
  const files = await globFiles(appRoot, main);
  if (files.length === 0) {
    throw new Error(
      `Found no files matching package.json "main" ("${main}") under ${appRoot}; build the app first.`,
    );
  }
  const systemLog: CoreRegistry['systemLog'] = (level, _category, message) =>
    level === 'error' || level === 'warning' ? logger.warn(message) : logger.debug(message);
  const registry = await loadIntoRegistry(systemLog, async () => {
    const requireFromApp = realModule().createRequire(path.join(appRoot, 'package.json'));
    for (const file of files) {
      // A second host in the same process must see the files register again.
      delete requireFromApp.cache[file];
      logger.debug(`Loading entry point file "${path.relative(appRoot, file)}"`);
      requireFromApp(file);
    }
  });
  await executeHooks(registry, 'appStart', {
    hookData: {},
    appHookData: registry.appHookData,
    functionAppDirectory: appRoot,
  });
  return registry;
}
