/**
 * A bulk job (docs/api.md: /api/jobs): what it covers, where it stands, and the
 * public JSON of `GET /api/jobs/{id}`. A job either lists a container prefix page by page
 * (`listing`) or counts images a client uploads with `POST /api/uploads {jobId}` (`upload`).
 */
import { randomUUID } from 'node:crypto';
import { derivedResultId } from '../results/ids';

export type JobStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';
export const JOB_TERMINAL: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface Job {
  id: string;
  kind: 'listing' | 'upload';
  container?: string;
  prefix?: string;
  /** More failed images than this stops the job (`failed`); undefined: no limit. */
  maxFailures?: number;
  dryRun: boolean;
  /** Blobs per listing page (one `jobs` message each). */
  pageSize: number;
  /** The model every image is classified with (default: the app's default model when the job was created). */
  model?: string;
  status: JobStatus;
  /** Images listed so far (listing) or announced by the client (upload). */
  total: number;
  succeeded: number;
  failed: number;
  /** Of `succeeded`, how many reused an earlier prediction for the same bytes. */
  reused: number;
  /** Listing pages whose blobs are already counted in `total` (redelivered pages are not counted twice). */
  listedPages: number;
  listingComplete: boolean;
  startedAt: string;
  completedAt?: string;
  /** Set once results/jobs/{id}.jsonl and .csv were written after the job ended. */
  exportedAt?: string;
  /** Why the job failed when it could not run (not for maxFailures, which the counts show). */
  reason?: string;
}

/** `GET /api/jobs/{id}`. */
export interface JobView {
  id: string;
  status: JobStatus;
  total: number;
  succeeded: number;
  failed: number;
  /** Images not finished yet while the job runs. */
  pending: number;
  /** Images left unclassified because the job was cancelled or stopped by maxFailures. */
  skipped: number;
  reused: number;
  listingComplete: boolean;
  startedAt: string;
  completedAt?: string;
  kind: Job['kind'];
  container?: string;
  prefix?: string;
  maxFailures?: number;
  dryRun?: boolean;
  reason?: string;
  resultsUrl: string;
  /** Blob names of the exports in container `results`, once written. */
  exports?: { jsonl: string; csv: string };
}

export const newJobId = (): string => randomUUID();

/** A job as it starts: running, nothing listed or counted yet; `init` sets its kind and the rest. */
export function newJob(init: Pick<Job, 'kind'> & Partial<Job>): Job {
  return {
    id: newJobId(),
    dryRun: false,
    pageSize: 0,
    status: 'running',
    total: 0,
    succeeded: 0,
    failed: 0,
    reused: 0,
    listedPages: 0,
    listingComplete: false,
    startedAt: new Date().toISOString(),
    ...init,
  };
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const isJobId = (value: string): boolean => UUID.test(value);

/**
 * The result id of one blob of a job: derived from the job, container and path, so a
 * redelivered listing page finds the same result, while another job over the same blobs
 * (a rerun) gets results of its own. Same shape as drop-folder ids (`b-` + 40 hex), so
 * `GET /api/results/{id}` serves it; "jobs/" cannot collide with a watched container's path.
 */
export function jobImageResultId(jobId: string, container: string, blob: string): string {
  return derivedResultId(`jobs/${jobId}/${container}/${blob}`);
}

/** Blob names of a job's exports in container `results`. */
export const jobExportNames = (id: string): { jsonl: string; csv: string } => ({
  jsonl: `jobs/${id}.jsonl`,
  csv: `jobs/${id}.csv`,
});

export function jobView(job: Job, baseUrl: string): JobView {
  const done = job.succeeded + job.failed;
  const left = job.dryRun ? 0 : Math.max(0, job.total - done); // a dry run only counts
  const stopped = job.status === 'cancelled' || job.status === 'failed';
  return {
    id: job.id,
    status: job.status,
    total: job.total,
    succeeded: job.succeeded,
    failed: job.failed,
    pending: stopped ? 0 : left,
    skipped: stopped ? left : 0,
    reused: job.reused,
    listingComplete: job.listingComplete,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    kind: job.kind,
    container: job.container,
    prefix: job.prefix,
    maxFailures: job.maxFailures,
    dryRun: job.dryRun || undefined,
    reason: job.reason,
    resultsUrl: `${baseUrl}/api/jobs/${job.id}/results`,
    exports: job.exportedAt ? jobExportNames(job.id) : undefined,
  };
}

/**
 * The status a running job moves to after its counts changed: `failed` once failures exceed
 * maxFailures, `succeeded` once every listed image has its result; terminal states stay.
 */
export function nextStatus(job: Job): JobStatus {
  if (job.status !== 'running') return job.status;
  if (job.maxFailures !== undefined && job.failed > job.maxFailures) return 'failed';
  if (job.dryRun && job.listingComplete) return 'succeeded'; // counting was the whole job
  if (job.listingComplete && job.succeeded + job.failed >= job.total) return 'succeeded';
  return 'running';
}
