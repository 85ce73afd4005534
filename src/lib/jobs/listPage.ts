/**
 * One page of a job's listing: list up to `pageSize` blobs from the continuation token, count
 * them into the job, queue `classify` messages of JOB_IMAGES_PER_MESSAGE blobs each, then queue
 * the next page. The count is applied once per page (the job row remembers `listedPages`), so
 * a redelivered page re-sends its classify messages (the worker drops duplicates by result id)
 * but never counts its blobs twice. A cancelled or stopped job lists no further.
 */
import { enqueueClassify, JOB_IMAGES_PER_MESSAGE, type JobImage } from '../queue/classifyMessage';
import type { Services } from '../services';
import { JOB_TERMINAL, jobImageResultId, nextStatus, type Job } from './job';
import { enqueueJobMessage, type ListPageMessage } from './jobMessage';
import { isStatus } from '../storage/restErrors';

export type ListPageOutcome = 'listed' | 'stopped' | 'unknown_job';

/** Parallel sends per page: enough to hide queue latency, few enough not to swamp storage. */
const SEND_CONCURRENCY = 32;

interface ListedBlob {
  name: string;
  etag?: string;
}

export async function listPage(
  services: Pick<Services, 'jobs' | 'storage'>,
  message: ListPageMessage,
): Promise<{ outcome: ListPageOutcome; blobs: number }> {
  const { jobs, storage } = services;
  const first = await jobs.get(message.jobId);
  if (!first) return { outcome: 'unknown_job', blobs: 0 };
  if (JOB_TERMINAL.includes(first.job.status)) return { outcome: 'stopped', blobs: 0 };
  const listed = await listOnePage(services, first.job, message.continuationToken).catch(
    async (err: unknown) => {
      if (!isStatus(err, 404)) throw err;
      // The container went away mid-listing: no attempt can list it again.
      await services.jobs.giveUp(
        first.job.id,
        `Its container "${first.job.container}" was deleted while the job was being listed.`,
      );
      return undefined;
    },
  );
  if (!listed) return { outcome: 'stopped', blobs: 0 };
  const { blobs, continuationToken } = listed;
  const job = await countPage(services, message, blobs.length, !continuationToken);
  if (!job || JOB_TERMINAL.includes(job.status)) {
    if (job) await enqueueJobMessage(storage, { kind: 'export', jobId: job.id });
    return { outcome: job ? 'listed' : 'unknown_job', blobs: blobs.length };
  }
  if (!job.dryRun) await sendClassifyMessages(services, job, blobs);
  if (continuationToken)
    await enqueueJobMessage(storage, {
      kind: 'list',
      jobId: job.id,
      page: message.page + 1,
      continuationToken,
    });
  return { outcome: 'listed', blobs: blobs.length };
}

async function listOnePage(
  services: Pick<Services, 'storage'>,
  job: Job,
  continuationToken: string | undefined,
): Promise<{ blobs: ListedBlob[]; continuationToken?: string }> {
  const pages = services.storage.blobs
    .getContainerClient(job.container!)
    .listBlobsFlat({ prefix: job.prefix || undefined })
    .byPage({ maxPageSize: job.pageSize, continuationToken });
  for await (const page of pages) {
    const blobs = page.segment.blobItems.map((b) => ({ name: b.name, etag: b.properties.etag }));
    return { blobs, continuationToken: page.continuationToken || undefined };
  }
  return { blobs: [] };
}

/** Adds the page to `total` unless it already was (a redelivery); the job as it now stands. */
async function countPage(
  services: Pick<Services, 'jobs'>,
  message: ListPageMessage,
  count: number,
  last: boolean,
): Promise<Job | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const record = await services.jobs.get(message.jobId);
    if (!record) return undefined;
    const { job } = record;
    if (job.listedPages >= message.page || JOB_TERMINAL.includes(job.status)) return job;
    if (job.listedPages !== message.page - 1)
      throw new Error(`Job ${job.id} is at page ${job.listedPages}; page ${message.page} came too early.`);
    const next: Job = { ...job, total: job.total + count, listedPages: message.page, listingComplete: last };
    next.status = nextStatus(next);
    if (next.status !== 'running') next.completedAt = new Date().toISOString();
    if (await services.jobs.update(next, record.etag)) return next;
  }
  throw new Error(`Job ${message.jobId} kept changing while page ${message.page} was counted.`);
}

async function sendClassifyMessages(
  services: Pick<Services, 'storage'>,
  job: Job,
  blobs: ListedBlob[],
): Promise<void> {
  const messages: JobImage[][] = [];
  for (let i = 0; i < blobs.length; i += JOB_IMAGES_PER_MESSAGE) {
    messages.push(
      blobs.slice(i, i + JOB_IMAGES_PER_MESSAGE).map((b) => ({
        resultId: jobImageResultId(job.id, job.container!, b.name),
        blob: b.name,
        etag: b.etag,
      })),
    );
  }
  let next = 0;
  const send = async (): Promise<void> => {
    while (next < messages.length) {
      const images = messages[next++];
      await enqueueClassify(services.storage, {
        kind: 'job',
        jobId: job.id,
        container: job.container!,
        images,
        model: job.model,
      });
    }
  };
  await Promise.all(Array.from({ length: SEND_CONCURRENCY }, send));
}
