/**
 * What `classify submit` remembers between runs, in a small JSON file: the jobs it created,
 * the uploads it made (result id -> content hash) and every finished result by content hash.
 * A rerun after an interruption skips files whose bytes already have a result, asks earlier
 * jobs for results that finished meanwhile, and uploads only the rest. Written atomically
 * (temp file, then rename), so a kill mid-write leaves the previous state.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { ClassificationResult } from '../../lib/results/result';

export interface SubmitState {
  version: 1;
  api: string;
  /** The model asked for (undefined: the app's default); a run with another model starts afresh. */
  model?: string;
  /** Jobs whose results may still be collected. */
  jobs: string[];
  /** The latest job, which names the default output file. */
  lastJob?: string;
  /** Upload result id -> sha256 of the bytes sent. */
  uploads: Record<string, string>;
  /** sha256 -> its terminal result. */
  done: Record<string, ClassificationResult>;
}

export async function loadState(file: string, api: string, model?: string): Promise<SubmitState> {
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as SubmitState;
    if (state.version === 1 && state.api === api && state.model === model) return state;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return { version: 1, api, model, jobs: [], uploads: {}, done: {} };
}

export async function saveState(file: string, state: SubmitState): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(state));
  await rename(temp, file);
}
