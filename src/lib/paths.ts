/**
 * Where the project's own files are, whether running from src/ (tests) or dist/src/ (built):
 * the nearest ancestor folder holding package.json.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json above ${start}.`);
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
/** Manifests and label files (never model weights). */
export const MODELS_DIR = path.join(PROJECT_ROOT, 'models');
/** The upload page. */
export const WEB_DIR = path.join(PROJECT_ROOT, 'web');

/**
 * A thread entry's compiled file: beside the caller when running built code, else (tests run
 * the TypeScript sources) the same file under dist/, which `npm run build` makes.
 */
export function compiledEntry(callerDir: string, file: string): string {
  const beside = path.join(callerDir, file);
  if (existsSync(beside)) return beside;
  const built = path.join(PROJECT_ROOT, 'dist', path.relative(PROJECT_ROOT, callerDir), file);
  if (existsSync(built)) return built;
  throw new Error(`${file} is not built; run "npm run build".`);
}
