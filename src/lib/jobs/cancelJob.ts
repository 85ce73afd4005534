/**
 * `DELETE /api/jobs/{id}`: a running job becomes `cancelled`. Listing stops at its next page
 * and workers skip its images that have not started (they check the job before claiming);
 * images already being classified finish and are still counted. Cancelling a job that ended
 * changes nothing.
 */
import { JOB_TERMINAL, type Job } from './job';
import type { Services } from '../services';
import { enqueueJobMessage } from './jobMessage';

export async function cancelJob(
  services: Pick<Services, 'jobs' | 'jobStatus' | 'storage'>,
  id: string,
): Promise<Job | undefined> {
  const { jobs, jobStatus, storage } = services;
  for (let attempt = 0; attempt < 20; attempt++) {
    const record = await jobs.get(id);
    if (!record) return undefined;
    if (JOB_TERMINAL.includes(record.job.status)) {
      // A cancel that crashed after its update and before its export message: this retry sends it.
      if (!record.job.exportedAt) await enqueueJobMessage(storage, { kind: 'export', jobId: id });
      return record.job;
    }
    const job: Job = { ...record.job, status: 'cancelled', completedAt: new Date().toISOString() };
    if (await jobs.update(job, record.etag)) {
      jobStatus.note(id, 'cancelled');
      await enqueueJobMessage(storage, { kind: 'export', jobId: id });
      return job;
    }
  }
  throw new Error(`Job ${id} kept changing while it was being cancelled.`);
}
