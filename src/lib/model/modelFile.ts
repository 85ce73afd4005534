/**
 * Finds the model weights named by a manifest, downloading them once when missing.
 * Order: beside the manifest (a model added as a folder with its file), MODEL_CACHE_DIR (tests,
 * CI, the Azure package), else a per-user cache directory.
 * The sha256 is always checked, so a truncated or tampered file is never loaded. Downloads go
 * to a temporary file that is hashed and then renamed into place atomically, so a crash
 * mid-download never leaves a half file under the real name.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClassifierError } from '../errors';
import type { ModelManifest } from './manifest';

export interface ModelFileOptions {
  /** Directory to look in first and download into; defaults to MODEL_CACHE_DIR or the user cache. */
  cacheDir?: string;
  /** Whether to download when the file is missing (default true). */
  download?: boolean;
  /** Where download progress goes (default: process.stderr when it is a terminal, else nowhere). */
  progress?: NodeJS.WritableStream | null;
  abortSignal?: AbortSignal;
}

export function defaultCacheDir(): string {
  if (process.env.MODEL_CACHE_DIR) return path.resolve(process.env.MODEL_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'image-classifier', 'models');
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

type Located = ModelManifest & { manifestPath?: string };

/** Where the file is or will be: beside the manifest when it is there, else in the cache directory. */
export function modelFilePath(manifest: Located, options: Pick<ModelFileOptions, 'cacheDir'> = {}): string {
  if (manifest.manifestPath) {
    const beside = path.join(path.dirname(manifest.manifestPath), manifest.file);
    if (existsSync(beside)) return beside;
  }
  return path.join(options.cacheDir ?? defaultCacheDir(), manifest.file);
}

/** Returns the path of a verified model file, downloading it if needed. */
export async function ensureModelFile(manifest: Located, options: ModelFileOptions = {}): Promise<string> {
  const target = modelFilePath(manifest, options);
  if (existsSync(target)) {
    const actual = await sha256OfFile(target);
    if (actual === manifest.sha256) return target;
    throw new ClassifierError(
      'internal_error',
      `Model file ${target} has sha256 ${actual} but manifest "${manifest.id}" expects ${manifest.sha256}. ` +
        'Delete the file so it is downloaded again, or fix the manifest.',
    );
  }
  if (options.download === false) {
    throw new ClassifierError('internal_error', `Model file ${target} is missing and downloading is off.`);
  }
  await downloadModel(manifest, target, options);
  return target;
}

async function downloadModel(
  manifest: ModelManifest,
  target: string,
  options: ModelFileOptions,
): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.${Date.now()}.partial`;
  const progress =
    options.progress === undefined ? (process.stderr.isTTY ? process.stderr : null) : options.progress;
  let response: Response;
  try {
    response = await fetch(manifest.url, { signal: options.abortSignal });
  } catch (err) {
    throw new ClassifierError(
      'internal_error',
      `Could not download model "${manifest.id}" from ${manifest.url} (${(err as Error).message}). ` +
        `Check the network, or place ${manifest.file} in MODEL_CACHE_DIR yourself.`,
      { retryable: true, cause: err },
    );
  }
  if (!response.ok || !response.body) {
    throw new ClassifierError(
      'internal_error',
      `Downloading model "${manifest.id}" from ${manifest.url} answered HTTP ${response.status}.`,
      { retryable: true },
    );
  }
  const total = Number(response.headers.get('content-length')) || 0;
  const hash = createHash('sha256');
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      received += chunk.length;
      progress?.write(`\rDownloading ${manifest.file}: ${formatProgress(received, total)}`);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as never), meter, createWriteStream(temp));
    progress?.write('\n');
    const actual = hash.digest('hex');
    if (actual !== manifest.sha256) {
      throw new ClassifierError(
        'internal_error',
        `Downloaded ${manifest.url} has sha256 ${actual}, expected ${manifest.sha256}; the file was discarded.`,
      );
    }
    await rename(temp, target);
  } finally {
    await rm(temp, { force: true });
  }
}

function formatProgress(received: number, total: number): string {
  const mb = (n: number) => (n / 1048576).toFixed(1);
  return total > 0
    ? `${mb(received)} / ${mb(total)} MB (${Math.floor((received / total) * 100)}%)`
    : `${mb(received)} MB`;
}
