/**
 * "Has this job stopped?" for the worker, asked before it claims each image. Answers are
 * cached per process for a moment (and lookups for the same job share one request), so a job
 * of thousands of images costs a handful of reads, not one per image; a cancel reaches every
 * worker within STALE_MS, and this process's own outcomes update the cache at once.
 */
import type { JobStatus } from './job';
import type { JobStore } from './jobStore';

const STALE_MS = 500;
const MAX_JOBS = 1000;

export class JobStatusCache {
  private readonly cache = new Map<string, { status: Promise<JobStatus | undefined>; at: number }>();

  constructor(private readonly jobs: JobStore) {}

  async stopped(jobId: string): Promise<boolean> {
    const hit = this.cache.get(jobId);
    if (hit && performance.now() - hit.at < STALE_MS) return isStopped(await hit.status);
    const status = this.jobs.get(jobId).then((r) => r?.job.status);
    this.cache.set(jobId, { status, at: performance.now() });
    status.catch(() => this.cache.delete(jobId));
    return isStopped(await status);
  }

  /** Records a status this process just wrote. */
  note(jobId: string, status: JobStatus): void {
    this.cache.set(jobId, { status: Promise.resolve(status), at: performance.now() });
    // Oldest first: a Map keeps insertion order.
    if (this.cache.size > MAX_JOBS) this.cache.delete(this.cache.keys().next().value!);
  }
}

// Stopped early: its images that have not started are skipped. A job that succeeded has every
// image done already (a late message is a duplicate the claim drops); an unknown job stops nothing.
const isStopped = (status: JobStatus | undefined): boolean => status === 'cancelled' || status === 'failed';
