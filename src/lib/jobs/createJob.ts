/**
 * `POST /api/jobs`: queues the job's first step, then records the job. The listing itself is
 * queued work (see listPage.ts), so this answers at once whatever the container holds.
 *
 * The step goes first because the two writes cannot be one: a row without its step is a job
 * that shows `running` for ever (a crash, or a lost answer, between the writes), whereas a step
 * without its row is retried until the row appears, and on its last attempt writes the row
 * itself, `failed` (runJobStep), so a job either runs or has failed. The step waits a second
 * before its first delivery, long enough for the row in all but a storage hiccup.
 */
import { ClassifierError } from '../errors';
import type { Services } from '../services';
import { newJob, nextStatus, type Job } from './job';
import { enqueueJobMessage } from './jobMessage';
import type { JobRequest } from './jobRequest';

export interface CreateJobOptions {
  abortSignal?: AbortSignal;
}

export async function createJob(
  services: Pick<Services, 'jobs' | 'models' | 'storage'>,
  request: JobRequest,
  options: CreateJobOptions = {},
): Promise<Job> {
  if (request.kind === 'listing') {
    const exists = await services.storage.blobs
      .getContainerClient(request.container)
      .exists({ abortSignal: options.abortSignal });
    if (!exists)
      throw new ClassifierError(
        'not_found',
        `Container "${request.container}" was not found in the app's storage account; create it or check the name.`,
      );
  }
  // An unknown model is a 400 naming the known ones, before anything is written.
  const model = services.models.manifest(request.model).id;
  const job = newJob({ kind: request.kind, maxFailures: request.maxFailures, model });
  if (request.kind === 'listing') {
    Object.assign(job, {
      container: request.container,
      prefix: request.prefix,
      dryRun: request.dryRun,
      pageSize: request.pageSize,
    });
  } else {
    // The client announced how many images it will upload: that is the whole "listing".
    Object.assign(job, { total: request.total, listingComplete: true });
    job.status = nextStatus(job);
    if (job.status !== 'running') job.completedAt = job.startedAt;
  }
  const headStart = { delaySeconds: 1 };
  if (job.kind === 'listing')
    await enqueueJobMessage(services.storage, { kind: 'list', jobId: job.id, page: 1 }, headStart);
  else if (job.status !== 'running')
    await enqueueJobMessage(services.storage, { kind: 'export', jobId: job.id }, headStart);
  await services.jobs.create(job);
  return job;
}
