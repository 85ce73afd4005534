/**
 * "Has this job stopped?" for the worker, asked before it claims each image. Answers are
 * cached per process for a moment (and lookups for the same job share one request), so a job
 * of thousands of images costs a handful of reads, not one per image; a cancel reaches every
 * worker within STALE_MS, and this process's own outcomes update the cache at once.
 */
import type { JobStatus } from './job';
import { getJob } from './jobStore';

const STALE_MS = 500;
const cache = new Map<string, { status: Promise<JobStatus | undefined>; at: number }>();

export async function jobStopped(jobId: string): Promise<boolean> {
  const hit = cache.get(jobId);
  if (hit && performance.now() - hit.at < STALE_MS) return isStopped(await hit.status);
  const status = getJob(jobId).then((r) => r?.job.status);
  cache.set(jobId, { status, at: performance.now() });
  status.catch(() => cache.delete(jobId));
  return isStopped(await status);
}

/** Records a status this process just wrote. */
export function noteJobStatus(jobId: string, status: JobStatus): void {
  cache.set(jobId, { status: Promise.resolve(status), at: performance.now() });
  if (cache.size > 1000) cache.delete(cache.keys().next().value!); // oldest first: Map keeps insertion order
}

// Stopped early: its images that have not started are skipped. A job that succeeded has every
// image done already (a late message is a duplicate the claim drops); an unknown job stops nothing.
const isStopped = (status: JobStatus | undefined): boolean => status === 'cancelled' || status === 'failed';
