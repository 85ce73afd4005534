/**
 * The chaos run's clients: every way in at once, each keeping a ledger of what it was told
 * (bench/chaos/check.ts holds the system to it).
 *  - upload: a browser's flow: POST /api/uploads, PUT to the SAS URL, poll the result;
 *  - drop: a storage tool writing to `images`, rewriting names with other bytes, deleting some;
 *  - job: POST /api/jobs over a prefix of `chaos-jobs` (one job is cancelled while it runs);
 *  - sync: POST /api/classify, whose answer is checked at once.
 * Clients retry as real ones would: a refused connection, a 5xx or a dropped answer is tried
 * again (against whichever instance is up); a 4xx is an answer.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { ChaosStack } from './chaosStack';
import { dropSerial, type Expected, type ImageSet } from './images';
import type { ChaosPlan, Content, DropPlan, JobPlan } from './plan';

export const JOBS_CONTAINER = 'chaos-jobs';

export interface UploadRecord {
  content: Content;
  /** The upload's id, once a ticket was given. */
  id?: string;
  /** The PUT landed (201, or 409 when an earlier attempt had landed): the image is the system's now. */
  accepted: boolean;
  /**
   * A PUT was sent but never confirmed (its answer lost, then a retry refused: the SAS allows no
   * overwrite). The image may be the system's: if it has a result, the result must be right.
   */
  unconfirmed?: boolean;
  /** The last PUT's status, when it was not accepted. */
  putStatus?: number;
  /** The error code of a refused ticket. */
  refused?: string;
  /** From the PUT to the terminal result seen by polling, ms. */
  latencyMs?: number;
}

export interface DropRecord {
  plan: DropPlan;
  /** ETag of each write, in order. */
  etags: string[];
  deleted: boolean;
}

export interface JobRecord {
  plan: JobPlan;
  /** Every job id the API gave for this prefix. */
  ids: string[];
  cancelled: boolean;
  /** The API refused to create it (a finding: the request is valid). */
  refused?: string;
}

export interface SyncRecord {
  content: Content;
  outcome: 'right' | 'wrong' | 'unavailable';
  detail?: string;
}

export interface Ledger {
  uploads: UploadRecord[];
  drops: DropRecord[];
  jobs: JobRecord[];
  syncs: SyncRecord[];
}

export interface DoorOptions {
  stack: ChaosStack;
  images: ImageSet;
  plan: ChaosPlan;
  /** Spread each door's images over this many ms. */
  spreadMs: number;
  /** The fault phase's start (Date.now()), which the jobs' `at` counts from. */
  startedAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt: number) => sleep(Math.min(5000, 200 * 2 ** Math.min(attempt, 5)));

/** An HTTP answer read whole: a kill mid-body is no answer, not an exception. */
interface Answer {
  status: number;
  text: string;
}

const parse = <T>(answer: Answer): T | undefined => {
  try {
    return JSON.parse(answer.text) as T;
  } catch {
    return undefined;
  }
};

/** A request to any instance that is up; undefined when none answered (down, reset, timed out). */
async function callApi(stack: ChaosStack, path: string, init: RequestInit = {}): Promise<Answer | undefined> {
  const urls = stack.liveUrls();
  if (urls.length === 0) return undefined;
  const url = urls[Math.floor(Math.random() * urls.length)];
  try {
    const res = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(60_000) });
    return { status: res.status, text: await res.text() };
  } catch {
    return undefined;
  }
}

/** Asks until the answer is not a 5xx or a lost connection. */
async function callUntilAnswered(stack: ChaosStack, path: string, init: RequestInit = {}): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    const res = await callApi(stack, path, init);
    if (res && res.status < 500) return res;
    await backoff(attempt);
  }
}

/** What went wrong in the clients themselves (reported; the run goes on). */
export const clientErrors: string[] = [];

/** Runs `work` over `items`, the i-th not before its share of `spreadMs`, at most `concurrency` at once. */
async function paced<T>(
  items: T[],
  spreadMs: number,
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const start = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        const due = start + (index * spreadMs) / items.length;
        if (due > Date.now()) await sleep(due - Date.now());
        // A client that fails is a finding of the run, never the end of it.
        await work(items[index], index).catch((err: unknown) => clientErrors.push(String(err)));
      }
    }),
  );
}

async function uploadOne(
  options: DoorOptions,
  content: Content,
  index: number,
  ledger: Ledger,
): Promise<void> {
  const { stack, images } = options;
  const bytes = images.bytes(content, `upload-${index}`);
  const ticketRes = await callUntilAnswered(stack, '/api/uploads', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      fileName: `photo-${index}.jpg`,
      contentType: images.contentType(content),
      size: bytes.length,
    }),
  });
  const ticket = parse<{
    id: string;
    uploadUrl: string;
    headers: Record<string, string>;
    error?: { code: string };
  }>(ticketRes);
  if (ticketRes.status !== 201 || !ticket?.uploadUrl) {
    ledger.uploads.push({
      content,
      accepted: false,
      refused: ticket?.error?.code ?? String(ticketRes.status),
    });
    return;
  }
  // In the ledger from here on: whatever happens to this client, the checker knows of the ticket.
  const record: UploadRecord = { content, id: ticket.id, accepted: false, unconfirmed: true };
  ledger.uploads.push(record);
  const putAt = Date.now();
  for (let attempt = 0; attempt < 12 && !record.accepted; attempt++) {
    const put = await fetch(ticket.uploadUrl, {
      method: 'PUT',
      headers: ticket.headers,
      body: new Uint8Array(bytes),
      signal: AbortSignal.timeout(60_000),
    }).catch(() => undefined);
    await put?.body?.cancel().catch(() => undefined);
    // 409: an earlier attempt landed and only its answer was lost (the SAS allows no overwrite).
    if (put && (put.status === 201 || put.status === 409)) {
      record.accepted = true;
      record.unconfirmed = undefined;
    } else if (put && put.status < 500) {
      record.putStatus = put.status;
      break;
    } else await backoff(attempt);
  }
  if (!record.accepted) return;
  // Poll as the page does, for up to 3 minutes; the checker has the last word.
  while (Date.now() - putAt < 180_000) {
    const res = await callApi(stack, `/api/results/${ticket.id}`);
    const status = res?.status === 200 ? parse<{ status: string }>(res)?.status : undefined;
    if (status === 'succeeded' || status === 'failed') {
      record.latencyMs = Date.now() - putAt;
      break;
    }
    await sleep(500);
  }
}

/** Retries a storage write until it is done: storage comes back, and a tool's user tries again. */
async function untilDone<T>(task: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task();
    } catch {
      await backoff(attempt);
    }
  }
}

async function dropOne(
  options: DoorOptions,
  container: ContainerClient,
  plan: DropPlan,
  index: number,
  ledger: Ledger,
  later: Promise<void>[],
): Promise<void> {
  const record: DropRecord = { plan, etags: [], deleted: false };
  ledger.drops.push(record);
  const blob = container.getBlockBlobClient(plan.name);
  for (const [k, write] of plan.writes.entries()) {
    if (k > 0) await sleep(Math.random() * 3000); // a rewrite: while the first may still be classifying, or after
    const bytes = options.images.bytes(write, dropSerial(index, k));
    const { etag } = await untilDone(() =>
      blob.uploadData(bytes, { blobHTTPHeaders: { blobContentType: options.images.contentType(write) } }),
    );
    record.etags.push(etag!.replace(/"/g, ''));
  }
  const remove = async () => {
    await untilDone(() => blob.deleteIfExists());
    record.deleted = true;
  };
  if (plan.deleted === 'at-once') await remove();
  else if (plan.deleted === 'later') later.push(sleep(5000 + Math.random() * 15_000).then(remove));
}

async function runJob(options: DoorOptions, plan: JobPlan): Promise<JobRecord> {
  const { stack } = options;
  const due = options.startedAt + plan.at * options.spreadMs;
  if (due > Date.now()) await sleep(due - Date.now());
  const record: JobRecord = { plan, ids: [], cancelled: false };
  // A lost answer to this POST may have created a job all the same: the checker checks every job it finds.
  const res = await callUntilAnswered(stack, '/api/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ container: JOBS_CONTAINER, prefix: plan.prefix }),
  });
  const body = parse<{ id?: string }>(res);
  if (res.status !== 202 || !body?.id) {
    record.refused = `POST /api/jobs answered ${res.status}: ${res.text.slice(0, 200)}`;
    return record;
  }
  record.ids.push(body.id);
  if (plan.cancelAfterSeconds !== undefined) {
    await sleep(plan.cancelAfterSeconds * 1000);
    const cancel = await callUntilAnswered(stack, `/api/jobs/${body.id}`, { method: 'DELETE' });
    record.cancelled = cancel.status < 300;
  }
  return record;
}

function judgeSync(
  expected: Expected,
  status: number,
  body: { predictions?: { label: string }[]; error?: { code: string } },
): SyncRecord['outcome'] {
  if ('label' in expected)
    return status === 200 && body.predictions?.[0]?.label === expected.label ? 'right' : 'wrong';
  return status === 422 && body.error?.code === expected.code ? 'right' : 'wrong';
}

async function syncOne(options: DoorOptions, content: Content, index: number): Promise<SyncRecord> {
  const bytes = options.images.bytes(content, `sync-${index}`);
  const res = await callApi(options.stack, '/api/classify?top=1', {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array(bytes),
  });
  // No answer, or a 5xx while an instance or storage is down: unavailable, never a wrong answer.
  if (!res || res.status >= 500)
    return { content, outcome: 'unavailable', detail: res ? String(res.status) : 'no answer' };
  const outcome = judgeSync(options.images.expected(content), res.status, parse(res) ?? {});
  return {
    content,
    outcome,
    detail: outcome === 'wrong' ? `${res.status} ${res.text.slice(0, 200)}` : undefined,
  };
}

/** Writes the jobs' images before the faults start (a job lists what is there when it runs). */
export async function writeJobSources(stack: ChaosStack, images: ImageSet, plan: ChaosPlan): Promise<void> {
  const container = BlobServiceClient.fromConnectionString(stack.connectionString).getContainerClient(
    JOBS_CONTAINER,
  );
  await container.createIfNotExists();
  const work = plan.jobs.flatMap((job, k) =>
    job.images.map((content, n) => ({
      name: jobImageName(job, n),
      bytes: images.bytes(content, `job-${k}-${n}`),
    })),
  );
  await paced(work, 0, 16, async ({ name, bytes }) => {
    await untilDone(() => container.getBlockBlobClient(name).uploadData(bytes));
  });
}

export const jobImageName = (job: JobPlan, n: number): string =>
  `${job.prefix}${String(n).padStart(5, '0')}.jpg`;

/** Runs every door to its end; the ledger fills in as they go. */
export async function runDoors(options: DoorOptions, ledger: Ledger): Promise<void> {
  const { plan, spreadMs } = options;
  const images = BlobServiceClient.fromConnectionString(options.stack.connectionString).getContainerClient(
    'images',
  );
  const later: Promise<void>[] = [];
  await Promise.all([
    paced(plan.uploads, spreadMs, 32, (content, i) => uploadOne(options, content, i, ledger)),
    paced(plan.drops, spreadMs, 8, (drop, i) => dropOne(options, images, drop, i, ledger, later)),
    paced(plan.syncs, spreadMs, 2, async (content, i) => {
      ledger.syncs.push(await syncOne(options, content, i));
    }),
    ...plan.jobs.map((job) =>
      runJob(options, job)
        .then((record) => ledger.jobs.push(record))
        .catch((err: unknown) => clientErrors.push(String(err))),
    ),
  ]);
  await Promise.all(later);
}
