/**
 * The intake and worker rules for the real host's deliveries (issue 14), one test per problem,
 * against the local stack's Azurite with the real model: facts from the event decide before a
 * byte is read, a stale version never overwrites a newer one, a dead claim is taken over, a
 * last attempt that never returned still ends in a recorded failure, and jobs stay out of the
 * app's own containers. Events are driven by hand into a container no subscription watches.
 */
import { toBlobCreated } from '../../../src/functions/converters/blobCreatedEvent';
import { limitsFromEnv } from '../../../src/lib/decode/limits';
import { acceptBlob } from '../../../src/lib/intake/acceptBlob';
import { blobResultId } from '../../../src/lib/results/ids';
import { getResult } from '../../../src/lib/results/resultStore';
import { claimBlob } from '../../../src/lib/worker/claim';
import { processBlob } from '../../../src/lib/worker/processBlob';
import { processMessage } from '../../../src/lib/worker/processMessage';
import type { BlobWork } from '../../../src/lib/worker/work';
import { terminalResult, upload } from '../../support/api';
import { blobCreatedEvent } from '../../support/events';
import * as img from '../../support/images';
import { eventually, useLocalStack } from '../../support/stack';
import { jobEnded, jobResults, parseJsonl, startJob } from '../../jobs/jobApi';
import { deleteResult } from '../../../src/lib/retention/deleteResult';
import { TERMINAL_STATUSES as TERMINAL } from '../../../src/lib/results/result';
import { jobImageResultId, newJob, newJobId } from '../../../src/lib/jobs/job';
import { createJob as insertJob, getJob } from '../../../src/lib/jobs/jobStore';
import { recorderStats } from '../../../src/lib/jobs/recordOutcome';
import type { JobImagesMessage } from '../../../src/lib/queue/classifyMessage';

const stack = useLocalStack();
const HAND = 'handdriven';
const options = () => ({ limits: limitsFromEnv(), leaseMs: 60_000 });

async function version(name: string, bytes: Buffer): Promise<{ etag: string; size: number }> {
  const container = stack.blobs().getContainerClient(HAND);
  await container.createIfNotExists();
  const blob = container.getBlockBlobClient(name);
  await blob.uploadData(bytes);
  const props = await blob.getProperties();
  return { etag: props.etag!, size: props.contentLength! };
}

function work(name: string, v: { etag: string; size: number }, sequencer = '01'): BlobWork {
  const blob = { container: HAND, name, etag: v.etag, sequencer };
  return { id: blobResultId(HAND, name), blob, size: v.size, since: new Date().toISOString() };
}

const accept = (event: ReturnType<typeof blobCreatedEvent>) =>
  acceptBlob(toBlobCreated(event, HAND)!, options());

async function resultJson(name: string): Promise<unknown> {
  const blob = stack.blobs().getContainerClient('results').getBlobClient(`${HAND}/${name}.json`);
  return JSON.parse((await blob.downloadToBuffer()).toString()) as unknown;
}

describe('intake on the event facts', () => {
  it('fails an upload larger than announced with file_too_large', async () => {
    // Announces 100 bytes and PUTs the whole photo (the SAS takes it: 201, or upload() throws).
    const ticket = await upload(stack.url, 'small.png', img.photo(img.CAT), 'image/png', 100);
    const result = await terminalResult(ticket.statusUrl);
    expect(result).toMatchObject({ status: 'failed', error: { code: 'file_too_large' } });
    expect(result.error!.message).toMatch(/announced 100/);
  });

  it('rejects a blob the event says is over the byte limit without reading it', async () => {
    const name = `huge-${Date.now()}.png`;
    const real = await version(name, img.photo(img.CAT)); // small in fact: a read would classify it
    const event = blobCreatedEvent({ container: HAND, name, etag: real.etag, size: 3_000_000_000 });
    expect((await accept(event)).outcome).toBe('failed');
    const record = await getResult(blobResultId(HAND, name));
    expect(record!.result).toMatchObject({
      status: 'failed',
      error: { code: 'file_too_large' },
      source: { bytes: 3_000_000_000 },
    });
  });
});

describe('versions', () => {
  it('drops an event for an older version that arrives after the newer one finished', async () => {
    const name = `versions-${Date.now()}.png`;
    const v1 = await version(name, img.photo('coffee.png'));
    const v2 = await version(name, img.photo(img.CAT));
    expect((await accept(blobCreatedEvent({ container: HAND, name, ...v2, sequencer: '02' }))).outcome).toBe(
      'succeeded',
    );
    expect((await accept(blobCreatedEvent({ container: HAND, name, ...v1, sequencer: '01' }))).outcome).toBe(
      'superseded',
    );
    const record = await getResult(blobResultId(HAND, name));
    expect(img.CAT_CLASSES).toContain(record!.result.predictions![0].classIndex);
    expect(await resultJson(name)).toEqual(record!.result);
  });

  it('writes nothing for an older version whose blob changed under its claim', async () => {
    const name = `under-${Date.now()}.png`;
    const v1 = await version(name, img.photo('coffee.png'));
    await version(name, img.photo(img.CAT)); // v2 lands before v1 is read: the read is refused (412)
    const outcome = await processBlob(work(name, v1), { ...options(), claimant: 'v1', lastAttempt: false });
    expect(outcome.outcome).toBe('superseded');
    await expect(resultJson(name)).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('claims', () => {
  it('takes over a claim whose lease ran out, whatever delivery holds it', async () => {
    const name = `stuck-${Date.now()}.png`;
    const w = work(name, await version(name, img.photo(img.CAT)));
    const base = { ...options(), lastAttempt: false };
    // A delivery that claimed and died: its lease is already over.
    expect((await claimBlob(w, { ...base, leaseMs: -1, claimant: 'dead', readFirst: false })).kind).toBe(
      'claimed',
    );
    expect((await claimBlob(w, { ...base, claimant: 'other', readFirst: true })).kind).toBe('claimed');
    // A live claim of someone else makes a third delivery wait instead of working twice.
    expect((await claimBlob(w, { ...base, claimant: 'third', readFirst: true })).kind).toBe('busy');
    expect((await processBlob(w, { ...base, claimant: 'other' })).outcome).toBe('succeeded');
  });

  it('records the failure of a last attempt that never returned, from its watchdog', async () => {
    const name = `crashed-${Date.now()}.png`;
    const w = work(name, await version(name, img.photo(img.CAT)));
    await claimBlob(w, { ...options(), leaseMs: -1, claimant: 'last', lastAttempt: true, readFirst: false });
    const watchdog = {
      kind: 'blob' as const,
      resultId: w.id,
      container: HAND,
      blob: name,
      etag: w.blob.etag,
      sequencer: '01',
      claimant: 'last',
      check: true,
      enqueuedAt: w.since,
    };
    const delivery = { messageId: 'watchdog', dequeueCount: 1, maxDequeueCount: 5 };
    const outcome = await processMessage(watchdog, delivery, { ...options(), watchdogDelaySeconds: 1 });
    expect(outcome).toEqual([{ resultId: w.id, blob: name, done: { outcome: 'checked' } }]);
    const record = await getResult(w.id);
    expect(record!.result).toMatchObject({ status: 'failed', error: { code: 'internal_error' } });
    expect(record!.result.error!.message).toMatch(/did not finish/);
    expect(await resultJson(name)).toEqual(record!.result);
  });
});

describe('results that never share a JSON blob', () => {
  it('repairs the JSON blob of a rejection on redelivery, after a crash between row and blob', async () => {
    const name = `rejected-${Date.now()}.png`;
    const v = await version(name, img.photo(img.CAT));
    const w = { ...work(name, v), size: 3_000_000_000 };
    // The first delivery wrote its terminal row and died before the JSON blob.
    const claim = await claimBlob(w, {
      ...options(),
      claimant: 'first',
      lastAttempt: false,
      readFirst: false,
    });
    expect(claim.kind).toBe('rejected');
    await expect(resultJson(name)).rejects.toMatchObject({ statusCode: 404 });
    const event = blobCreatedEvent({ container: HAND, name, etag: v.etag, size: w.size, sequencer: '01' });
    expect((await accept(event)).outcome).toBe('duplicate');
    expect(await resultJson(name)).toEqual((await getResult(w.id))!.result);
  });

  it("leaves the drop folder's result and JSON blob alone when a job covers the same blob", async () => {
    const path = `shared-${Date.now()}/cat.png`;
    await stack.blobs().getContainerClient('images').getBlockBlobClient(path).uploadData(img.photo(img.CAT));
    const id = blobResultId('images', path);
    const dropped = await eventually('the drop-folder result', async () => {
      const record = await getResult(id);
      return record && TERMINAL.includes(record.result.status) ? record.result : undefined;
    });
    const json = stack.blobs().getContainerClient('results').getBlobClient(`images/${path}.json`);
    const before = await json.getProperties();

    const job = await jobEnded(stack, await startJob(stack, { container: 'images', prefix: path }));
    expect(job).toMatchObject({ status: 'succeeded', succeeded: 1 });
    const [jobResult] = parseJsonl(await jobResults(stack, job.id, 'jsonl'));
    expect(jobResult.id).not.toBe(id);
    expect((await json.getProperties()).etag).toBe(before.etag); // not rewritten by the job

    // Retention (or a delete) of the job's copy takes nothing of the drop folder's.
    expect(await deleteResult(jobResult.id, { force: true })).toBe(true);
    expect(await getResult(jobResult.id)).toBeUndefined();
    expect((await getResult(id))!.result).toEqual(dropped);
    expect(JSON.parse((await json.downloadToBuffer()).toString())).toEqual(dropped);
  });
});

describe('jobs', () => {
  it.each(['results', 'uploads', 'azure-webjobs-hosts', 'azure-webjobs-secrets'])(
    "refuses a job over the app's own container %s",
    async (container) => {
      const response = await fetch(`${stack.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ container, prefix: '' }),
      });
      expect(response.status).toBe(400);
    },
  );

  it("counts a job message's images into the job in one transaction, not one per image", async () => {
    const jobId = newJobId();
    const names = ['chelsea.png', 'coffee.png', 'rocket.jpg', 'astronaut.png'].flatMap((f) => [
      `${jobId}/a-${f}`,
      `${jobId}/b-${f}`,
    ]);
    for (const name of names) await version(name, img.photo(name.split('-').pop()!));
    const job = newJob({
      id: jobId,
      kind: 'listing',
      container: HAND,
      prefix: `${jobId}/`,
      pageSize: 100,
      total: names.length,
      listedPages: 1,
      listingComplete: true,
    });
    await insertJob(job);
    const before = recorderStats.transactions;
    const message: JobImagesMessage = {
      kind: 'job',
      jobId,
      container: HAND,
      images: names.map((blob) => ({ resultId: jobImageResultId(jobId, HAND, blob), blob })),
      enqueuedAt: new Date().toISOString(),
    };
    const outcomes = await processMessage(
      message,
      { messageId: 'm-1', dequeueCount: 1, maxDequeueCount: 5 },
      { ...options(), watchdogDelaySeconds: 60 },
    );
    expect(outcomes.map((o) => o.done.outcome)).toEqual(names.map(() => 'succeeded'));
    expect(recorderStats.transactions - before).toBe(1);
    expect((await getJob(jobId))!.job).toMatchObject({ status: 'succeeded', succeeded: names.length });
  });
});
