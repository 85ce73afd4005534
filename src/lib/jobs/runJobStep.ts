/**
 * One `jobs` queue message: a listing page, the exports of a job that ended, or a step of the
 * retention sweep (which queues the next one). A listing page
 * that fails on its last attempt fails its job with the reason: the message goes to
 * `jobs-poison`, and a job left `running` would keep its owner waiting forever.
 *
 * A job's first step is queued before its row is written (createJob), so a step can find no
 * row: it is retried until the row appears, and on its last attempt it writes the row itself,
 * `failed`: its POST was answered with an error, or storage has held the row so long that a
 * late create must not start the job now (JobStore.create refuses it).
 */
import { retentionStep } from '../retention/cleanupExpired';
import { exportJob } from './jobExport';
import { enqueueJobMessage, type JobMessage } from './jobMessage';
import { listPage } from './listPage';
import type { Services } from '../services';

export interface JobStepOptions {
  /** No retry follows this attempt (the queue's maxDequeueCount is reached). */
  lastAttempt?: boolean;
}

export async function runJobStep(
  services: Pick<Services, 'jobs' | 'results' | 'storage' | 'events' | 'search'>,
  message: JobMessage,
  options: JobStepOptions = {},
): Promise<string> {
  if (message.kind === 'export') {
    if (!(await exportJob(services, message.jobId))) return unknownJob(services, message, options);
    // After the exports, so the event names them; before this message is done, so a crash
    // here redelivers the message and the event is sent again (same id), never lost.
    await services.events.jobCompleted(message.jobId);
    return services.events.enabled ? 'exported, event queued' : 'exported';
  }
  if (message.kind === 'retention') {
    const { uploadsDeleted, resultsDeleted, next } = await retentionStep(services, message.step);
    if (next) await enqueueJobMessage(services.storage, { kind: 'retention', step: next });
    return `retention ${message.step.phase}: deleted ${uploadsDeleted} upload(s), ${resultsDeleted} result(s)${next ? '; next step queued' : '; sweep done'}`;
  }
  try {
    const { outcome, blobs } = await listPage(services, message);
    if (outcome === 'unknown_job') return unknownJob(services, message, options);
    return `${outcome} page ${message.page} (${blobs} blobs)`;
  } catch (err) {
    if (options.lastAttempt)
      await services.jobs.giveUp(
        message.jobId,
        `Listing page ${message.page} failed on every attempt: ${(err as Error).message}`,
      );
    throw err;
  }
}

async function unknownJob(
  services: Parameters<typeof runJobStep>[0],
  message: Extract<JobMessage, { jobId: string }>,
  options: JobStepOptions,
): Promise<string> {
  if (!options.lastAttempt)
    throw new Error(`Job ${message.jobId} has no row yet (its POST may still be writing it); trying again.`);
  const kind = message.kind === 'list' ? 'listing' : 'upload';
  if (await services.jobs.abandon(message.jobId, kind, 'Its creation did not finish; submit it again.'))
    return 'unknown_job: recorded as failed';
  // The row landed meanwhile: an ordinary step after all.
  return runJobStep(services, message, options);
}
