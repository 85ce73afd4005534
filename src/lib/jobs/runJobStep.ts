/**
 * One `jobs` queue message: a listing page or the exports of a job that ended. A listing page
 * that fails on its last attempt fails its job with the reason: the message goes to
 * `jobs-poison`, and a job left `running` would keep its owner waiting forever.
 */
import { giveUp } from './createJob';
import { exportJob } from './jobExport';
import type { JobMessage } from './jobMessage';
import { listPage } from './listPage';

export interface JobStepOptions {
  /** No retry follows this attempt (the queue's maxDequeueCount is reached). */
  lastAttempt?: boolean;
}

export async function runJobStep(message: JobMessage, options: JobStepOptions = {}): Promise<string> {
  if (message.kind === 'export') {
    return (await exportJob(message.jobId)) ? 'exported' : 'unknown_job';
  }
  try {
    const { outcome, blobs } = await listPage(message);
    return `${outcome} page ${message.page} (${blobs} blobs)`;
  } catch (err) {
    if (options.lastAttempt)
      await giveUp(
        message.jobId,
        `Listing page ${message.page} failed on every attempt: ${(err as Error).message}`,
      );
    throw err;
  }
}
