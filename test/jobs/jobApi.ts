/** Small helpers for the jobs tests: seed a container prefix, drive /api/jobs, read storage. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import type { JobView } from '../../src/lib/jobs/job';
import type { ClassificationResult } from '../../src/lib/results/result';
import { SHARED } from '../support/images';
import { eventually, type LocalStack } from '../support/stack';

export const DEV_DIR = path.join(SHARED, 'datasets/imagenet-photos-dev/images');
export const devFiles = (count: number): string[] => readdirSync(DEV_DIR).sort().slice(0, count);

/** Puts files (name -> bytes) under `container/prefix` with the SDK, 16 at a time. */
export async function seed(
  stack: LocalStack,
  container: string,
  prefix: string,
  files: Map<string, Buffer>,
): Promise<void> {
  const client = stack.blobs().getContainerClient(container);
  await client.createIfNotExists();
  const entries = [...files];
  for (let i = 0; i < entries.length; i += 16) {
    await Promise.all(
      entries
        .slice(i, i + 16)
        .map(([name, bytes]) => client.getBlockBlobClient(`${prefix}${name}`).uploadData(bytes)),
    );
  }
}

export const devPhotos = (count: number): Map<string, Buffer> =>
  new Map(devFiles(count).map((f) => [f, readFileSync(path.join(DEV_DIR, f))]));

export async function postJob(
  stack: LocalStack,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${stack.url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export async function startJob(stack: LocalStack, body: unknown): Promise<string> {
  const { status, json } = await postJob(stack, body);
  if (status !== 202) throw new Error(`POST /api/jobs answered ${status}: ${JSON.stringify(json)}`);
  return json.id as string;
}

export async function getJobView(stack: LocalStack, id: string): Promise<JobView> {
  const res = await fetch(`${stack.url}/api/jobs/${id}`);
  if (res.status !== 200) throw new Error(`GET /api/jobs/${id} answered ${res.status}`);
  return (await res.json()) as JobView;
}

export function jobEnded(stack: LocalStack, id: string, timeoutMs = 60_000): Promise<JobView> {
  return eventually(
    `job ${id} to end`,
    async () => {
      const job = await getJobView(stack, id);
      return job.status === 'running' ? undefined : job;
    },
    timeoutMs,
  );
}

/** Waits until the job's exports are written (after it ended). */
export const jobExported = (stack: LocalStack, id: string): Promise<JobView> =>
  eventually(`job ${id} exports`, async () => {
    const job = await getJobView(stack, id);
    return job.exports ? job : undefined;
  });

export async function jobResults(stack: LocalStack, id: string, format: 'jsonl' | 'csv'): Promise<string> {
  const res = await fetch(`${stack.url}/api/jobs/${id}/results?format=${format}`);
  if (res.status !== 200) throw new Error(`GET results answered ${res.status}`);
  return res.text();
}

export const parseJsonl = (text: string): ClassificationResult[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ClassificationResult);

export const table = (stack: LocalStack, name: string): TableClient =>
  TableClient.fromConnectionString(stack.connectionString, name, { allowInsecureConnection: true });

/** Rows of table `results` that belong to a job, by status. */
export async function resultRowsOfJob(stack: LocalStack, jobId: string): Promise<Map<string, string>> {
  const rows = new Map<string, string>();
  for await (const row of table(stack, 'results').listEntities<{ status: string }>({
    queryOptions: { filter: `jobId eq '${jobId}'` },
  }))
    rows.set(row.partitionKey!, row.status);
  return rows;
}
