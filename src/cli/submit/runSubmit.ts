/**
 * `classify submit <dir>`: one upload job for a folder. Files are hashed and checked locally,
 * files whose bytes already have a result (this run's state file) are skipped, the rest are
 * announced as one job (`POST /api/jobs { upload: true, total }`) and uploaded through their
 * SAS URLs with bounded concurrency (`POST /api/uploads { ..., jobId }`, then PUT). The job is
 * polled until every upload has its result; then the results are fetched and written.
 * A file the app refuses fails alone, with the app's code when it gave one (its limits may
 * differ from this machine's); an app, front end or storage that is still down or busy after
 * the client's retries stops the run, and a rerun carries on from the state file.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { mapLimit } from '../../lib/concurrency';
import { limitsFromEnv } from '../../lib/decode/limits';
import { loadManifest, modelRef } from '../../lib/model/manifest';
import { ClassifierError, isImageErrorCode } from '../../lib/errors';
import { failedResult, type ClassificationResult } from '../../lib/results/result';
import { startProgress, type Progress } from '../progress';
import {
  ApiError,
  cancelJob,
  createUploadJob,
  getJobView,
  jobResultLines,
  isTransient,
  putBlob,
  requestUpload,
  uploadStatus,
  type ApiOptions,
} from '../apiClient';
import type { UploadTicket } from '../../lib/uploads/createUpload';
import { inspectFile, type LocalFile } from './localFiles';
import { loadState, saveState, type SubmitState } from './state';
import { writeResults } from './writeResults';

export interface SubmitOptions extends ApiOptions {
  files: string[];
  /** Results file; default classify-results-<job id>.jsonl in the current directory. */
  out?: string;
  stateFile: string;
  /** The model the job classifies with (a manifest id the app knows; default: the app's default). */
  model?: string;
  /** Parallel uploads. */
  concurrency?: number;
  pollMs?: number;
  log?: (line: string) => void;
}

export interface SubmitSummary {
  out: string;
  jobId?: string;
  total: number;
  skipped: number;
  uploaded: number;
  succeeded: number;
  failed: number;
}

export async function runSubmit(options: SubmitOptions): Promise<SubmitSummary> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const state = await loadState(options.stateFile, options.api, options.model);
  await collectEarlierJobs(options, state);
  // Files that fail here name the model asked for (its sha256 is the app's to know).
  const model = options.model ? { id: options.model, sha256: '' } : modelRef(loadManifest());
  const inspect = { limits: limitsFromEnv(), model };
  const locals = await mapLimit(options.files, 8, (f) => inspectFile(f, inspect));
  const todo = uniqueBySha(locals.filter((l) => !l.failed && !state.done[l.sha256]));
  const skipped = locals.filter((l) => state.done[l.sha256]).length;
  if (skipped > 0) log(`Skipping ${skipped} file(s) already classified (same content).`);

  let uploaded = 0;
  /** Files of this run that were not uploaded, by content hash: not kept in the state, so a rerun tries them again. */
  const notUploaded = new Map<string, ClassificationResult>();
  if (todo.length > 0) {
    const job = await createUploadJob(options, todo.length, options.model);
    state.jobs.push(job.id);
    state.lastJob = job.id;
    await saveState(options.stateFile, state);
    const progress = startProgress(locals.length, {
      label: 'done | {uploaded} uploaded',
      payload: { uploaded: 0 },
    });
    const doneBefore = locals.filter((l) => l.failed || state.done[l.sha256]).length;
    progress.update(doneBefore, { uploaded: 0, failed: countFailed(locals, state) });
    // The uploads made so far are saved every half second, so an interrupted run's rerun can
    // collect their results instead of uploading the files again.
    let lastSave = performance.now();
    let saving = Promise.resolve();
    let stoppedBy: ApiError | undefined;
    await mapLimit(todo, options.concurrency ?? 8, async (local) => {
      if (stoppedBy) return; // the rest are for the rerun
      let ticketId: string | undefined;
      try {
        const ticket = await requestUpload(options, {
          fileName: local.name,
          contentType: local.contentType!,
          size: local.size,
          jobId: job.id,
        });
        ticketId = ticket.id;
        state.uploads[ticket.id] = local.sha256;
        await sendBytes(options, ticket, await readFile(local.file));
        uploaded++;
      } catch (err) {
        // Down or busy after the retries: every other file would fail the same way. The ticket
        // stays recorded, so a rerun collects its result if the blob did land.
        if (isTransient(err)) return void (stoppedBy ??= err as ApiError);
        if (ticketId) delete state.uploads[ticketId]; // refused: no result will come
        notUploaded.set(local.sha256, notUploadedResult(local, err, model));
      }
      if (performance.now() - lastSave > 500) {
        lastSave = performance.now();
        saving = saving.then(() => saveState(options.stateFile, state));
      }
      progress.update(doneBefore + notUploaded.size, { uploaded });
    });
    await saving;
    await saveState(options.stateFile, state);
    const rerunHint = (err: ApiError): ApiError =>
      new ApiError(
        err.status,
        err.code,
        `${err.message} What was uploaded is recorded in ${options.stateFile}; run the same command again to carry on.`,
      );
    if (stoppedBy) {
      progress.stop();
      throw rerunHint(stoppedBy);
    }
    try {
      const settled = doneBefore + notUploaded.size;
      const failedBefore = countFailed(locals, state) + notUploaded.size;
      await waitForJob(options, job.id, uploaded, progress, settled, failedBefore);
      progress.stop();
      await collectResults(options, state, job.id);
    } catch (err) {
      progress.stop();
      throw isTransient(err) ? rerunHint(err as ApiError) : err;
    }
  }
  const results = locals.map((l) => resultFor(l, state, notUploaded));
  const out = options.out ?? `classify-results-${state.lastJob ?? 'local'}.jsonl`;
  await writeResults(out, results);
  await saveState(options.stateFile, state);
  const failed = results.filter((r) => r.status !== 'succeeded').length;
  return {
    out,
    jobId: state.lastJob,
    total: locals.length,
    skipped,
    uploaded,
    succeeded: results.length - failed,
    failed,
  };
}

/** Polls until every upload of this run has a result (or the job ended). */
async function waitForJob(
  options: SubmitOptions,
  jobId: string,
  uploaded: number,
  progress: Progress,
  doneBefore: number,
  failedBefore: number,
): Promise<void> {
  for (;;) {
    const job = await getJobView(options, jobId);
    progress.update(doneBefore + job.succeeded + job.failed, { failed: failedBefore + job.failed });
    if (job.status !== 'running') return;
    if (job.succeeded + job.failed >= uploaded) {
      // Some announced file could not be uploaded: the job would wait for it forever.
      if (uploaded < job.total) await cancelJob(options, jobId);
      return;
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
}

/** Takes the terminal results of a job into the state, by the content hash of each upload. */
async function collectResults(options: ApiOptions, state: SubmitState, jobId: string): Promise<void> {
  for await (const line of jobResultLines(options, jobId)) {
    const result = JSON.parse(line) as ClassificationResult;
    const sha256 = state.uploads[result.id];
    if (sha256 && (result.status === 'succeeded' || result.status === 'failed')) {
      state.done[sha256] = result;
      delete state.uploads[result.id];
    }
  }
  state.jobs = state.jobs.filter((j) => j !== jobId);
}

/**
 * A previous run that was interrupted left jobs behind: collect what they finished, and
 * cancel them (what they did not finish is uploaded again in this run's job).
 */
async function collectEarlierJobs(options: ApiOptions, state: SubmitState): Promise<void> {
  for (const jobId of [...state.jobs]) {
    try {
      const job = await getJobView(options, jobId);
      if (job.status === 'running') await cancelJob(options, jobId);
      await collectResults(options, state, jobId);
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
      state.jobs = state.jobs.filter((j) => j !== jobId);
    }
  }
}

/**
 * PUTs the bytes. When a PUT's landing could not be confirmed (a try got no answer, the retry
 * was refused as the blob was there), the app is asked: it sees the blob within seconds.
 */
async function sendBytes(options: ApiOptions, ticket: UploadTicket, bytes: Buffer): Promise<void> {
  try {
    await putBlob(ticket, bytes);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'upload_unconfirmed')) throw err;
    for (let i = 0; i < 30; i++) {
      if ((await uploadStatus(options, ticket.id)) !== 'awaiting_upload') return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw err;
  }
}

/** A file the app refused (its code kept: file_too_large, unsupported_format...) or that could not be sent. */
function notUploadedResult(
  local: LocalFile,
  err: unknown,
  model: ClassificationResult['model'],
): ClassificationResult {
  const message = err instanceof Error ? err.message : String(err);
  const error =
    err instanceof ApiError && isImageErrorCode(err.code) && err.code !== 'internal_error'
      ? new ClassifierError(err.code, `The app refused the upload: ${message}`)
      : new ClassifierError('internal_error', `The file was not uploaded: ${message}`);
  return failedResult(
    { name: local.name, bytes: local.size, sha256: local.sha256, contentType: local.contentType },
    error,
    model,
    `local-${local.sha256.slice(0, 16)}`,
  );
}

function resultFor(
  local: LocalFile,
  state: SubmitState,
  notUploaded: Map<string, ClassificationResult>,
): ClassificationResult {
  const found = local.failed ?? state.done[local.sha256] ?? notUploaded.get(local.sha256);
  const result = found ? { ...found, source: { ...found.source, name: local.name } } : missing(local);
  return { ...result, file: local.file };
}

function missing(local: LocalFile): ClassificationResult {
  return failedResult(
    { name: local.name, bytes: local.size, sha256: local.sha256 },
    new ClassifierError('internal_error', 'No result arrived for this file; run the command again.'),
    { id: '', sha256: '' },
    `local-${local.sha256.slice(0, 16)}`,
  );
}

const countFailed = (locals: LocalFile[], state: SubmitState): number =>
  locals.filter((l) => l.failed || (state.done[l.sha256] && state.done[l.sha256].status !== 'succeeded'))
    .length;

function uniqueBySha(files: LocalFile[]): LocalFile[] {
  return [...new Map(files.map((f) => [f.sha256, f])).values()];
}

/** Where a run keeps what it has done: one file per folder, app and model, so a rerun picks up where it stopped. */
export const defaultStateFile = (
  out: string | undefined,
  dir: string,
  api: string,
  model?: string,
): string =>
  out
    ? `${out}.state.json`
    : path.resolve(
        `.classify-submit-${hashOf(`${path.resolve(dir)}|${api}${model ? `|${model}` : ''}`)}.json`,
      );

const hashOf = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);
