/**
 * Expands the CLI's file and directory arguments into a sorted list of files. Directories are
 * walked recursively, skipping hidden entries (.DS_Store, .git); every other file (or link to
 * one) is classified, since the bytes, not the extension, decide what is an image.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './usageError';

export async function expandInputs(args: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (!info) throw new UsageError(`No such file or directory: ${arg}`);
    if (info.isDirectory()) files.push(...(await walk(arg)));
    else files.push(arg);
  }
  return files;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full)));
    else if (entry.isFile()) files.push(full);
    // A link to a file is classified like the file; links to folders are not followed (cycles).
    else if (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isFile()) files.push(full);
  }
  return files;
}
