/**
 * `DELETE /api/jobs/{id}`: a running job becomes `cancelled`. Listing stops at its next page
 * and workers skip its images that have not started (they check the job before claiming);
 * images already being classified finish and are still counted. Cancelling a job that ended
 * changes nothing.
 */
import { JOB_TERMINAL, type Job } from './job';
import { enqueueJobMessage } from './jobMessage';
import { noteJobStatus } from './jobStatusCache';
import { getJob, updateJob } from './jobStore';

export async function cancelJob(id: string): Promise<Job | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const record = await getJob(id);
    if (!record || JOB_TERMINAL.includes(record.job.status)) return record?.job;
    const job: Job = { ...record.job, status: 'cancelled', completedAt: new Date().toISOString() };
    if (await updateJob(job, record.etag)) {
      noteJobStatus(id, 'cancelled');
      await enqueueJobMessage({ kind: 'export', jobId: id });
      return job;
    }
  }
  throw new Error(`Job ${id} kept changing while it was being cancelled.`);
}
