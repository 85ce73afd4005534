/** `POST /api/uploads { jobId }`: the job must exist, be an upload job, and still run. */
import { ClassifierError } from '../errors';
import type { Services } from '../services';
import type { Job } from './job';

/** The job an upload joins, once checked. */
export async function checkUploadJob(services: Pick<Services, 'jobs'>, jobId: string): Promise<Job> {
  const record = await services.jobs.get(jobId);
  if (!record)
    throw new ClassifierError('not_found', `Job ${jobId} was not found; create it with POST /api/jobs.`);
  if (record.job.kind !== 'upload')
    throw new ClassifierError(
      'bad_request',
      `Job ${jobId} classifies a container; only jobs created with { "upload": true } take uploads.`,
    );
  if (record.job.status !== 'running')
    throw new ClassifierError(
      'bad_request',
      `Job ${jobId} is ${record.job.status} and takes no more uploads; create a new job.`,
    );
  return record.job;
}
