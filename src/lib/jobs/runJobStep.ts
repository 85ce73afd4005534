/** One `jobs` queue message: a listing page or the exports of a job that ended. */
import { exportJob } from './jobExport';
import type { JobMessage } from './jobMessage';
import { listPage } from './listPage';

export async function runJobStep(message: JobMessage): Promise<string> {
  if (message.kind === 'export') {
    return (await exportJob(message.jobId)) ? 'exported' : 'unknown_job';
  }
  const { outcome, blobs } = await listPage(message);
  return `${outcome} page ${message.page} (${blobs} blobs)`;
}
