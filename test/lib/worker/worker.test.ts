/**
 * The worker on its own (no app, no host): a version whose blob changed under its claim writes
 * nothing, a dead claim is taken over and a live one waits, a last attempt that never returned
 * still ends in a recorded failure, a job message's images are counted in one transaction,
 * and the model gate holds messages only while its own model cannot load. Against Azurite
 * with the real model.
 */
import { jobImageResultId, newJob, newJobId } from '../../../src/lib/jobs/job';
import type { JobImagesMessage } from '../../../src/lib/queue/classifyMessage';
import { decodeQueueMessage } from '../../../src/lib/queue/encoding';
import { claimBlob } from '../../../src/lib/worker/claim';
import { processBlob } from '../../../src/lib/worker/processBlob';
import { processMessage } from '../../../src/lib/worker/processMessage';
import { HAND, resultJson, version, work, workOptions } from '../../support/handBlobs';
import * as img from '../../support/images';
import { missingModelDir, servicesFor, servicesWithoutModel, useServices } from '../../support/services';

const env = useServices();
const blobs = () => env.services.storage.blobs;

it('writes nothing for an older version whose blob changed under its claim', async () => {
  const name = `under-${Date.now()}.png`;
  const v1 = await version(blobs(), name, img.photo('coffee.png'));
  await version(blobs(), name, img.photo(img.CAT)); // v2 lands before v1 is read: the read is refused (412)
  const outcome = await processBlob(env.services, work(name, v1), {
    ...workOptions(),
    claimant: 'v1',
    lastAttempt: false,
  });
  expect(outcome.outcome).toBe('superseded');
  await expect(resultJson(blobs(), name)).rejects.toMatchObject({ statusCode: 404 });
});

it('takes over a claim whose lease ran out, whatever delivery holds it', async () => {
  const name = `stuck-${Date.now()}.png`;
  const w = work(name, await version(blobs(), name, img.photo(img.CAT)));
  const base = { ...workOptions(), lastAttempt: false };
  const claim = (extra: { claimant: string; readFirst: boolean; leaseMs?: number }) =>
    claimBlob(env.services, w, { ...base, ...extra });
  // A delivery that claimed and died: its lease is already over.
  expect((await claim({ leaseMs: -1, claimant: 'dead', readFirst: false })).kind).toBe('claimed');
  expect((await claim({ claimant: 'other', readFirst: true })).kind).toBe('claimed');
  // A live claim of someone else makes a third delivery wait instead of working twice.
  expect((await claim({ claimant: 'third', readFirst: true })).kind).toBe('busy');
  expect((await processBlob(env.services, w, { ...base, claimant: 'other' })).outcome).toBe('succeeded');
});

it('records the failure of a last attempt that never returned, from its watchdog', async () => {
  const name = `crashed-${Date.now()}.png`;
  const w = work(name, await version(blobs(), name, img.photo(img.CAT)));
  await claimBlob(env.services, w, {
    ...workOptions(),
    leaseMs: -1,
    claimant: 'last',
    lastAttempt: true,
    readFirst: false,
  });
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
  const outcome = await processMessage(env.services, watchdog, delivery, {
    ...workOptions(),
    watchdogDelaySeconds: 1,
  });
  expect(outcome).toEqual([{ resultId: w.id, blob: name, done: { outcome: 'checked' } }]);
  const record = await env.services.results.get(w.id);
  expect(record!.result).toMatchObject({ status: 'failed', error: { code: 'internal_error' } });
  expect(record!.result.error!.message).toMatch(/did not finish/);
  expect(await resultJson(blobs(), name)).toEqual(record!.result);
});

it("counts a job message's images into the job in one transaction, not one per image", async () => {
  const jobId = newJobId();
  const names = ['chelsea.png', 'coffee.png', 'rocket.jpg', 'astronaut.png'].flatMap((f) => [
    `${jobId}/a-${f}`,
    `${jobId}/b-${f}`,
  ]);
  for (const name of names) await version(blobs(), name, img.photo(name.split('-').pop()!));
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
  await env.services.jobs.create(job);
  const before = env.services.jobCounter.stats.transactions;
  const message: JobImagesMessage = {
    kind: 'job',
    jobId,
    container: HAND,
    images: names.map((blob) => ({ resultId: jobImageResultId(jobId, HAND, blob), blob })),
    enqueuedAt: new Date().toISOString(),
  };
  const outcomes = await processMessage(
    env.services,
    message,
    { messageId: 'm-1', dequeueCount: 1, maxDequeueCount: 5 },
    { ...workOptions(), watchdogDelaySeconds: 60 },
  );
  expect(outcomes.map((o) => o.done.outcome)).toEqual(names.map(() => 'succeeded'));
  expect(env.services.jobCounter.stats.transactions - before).toBe(1);
  expect((await env.services.jobs.get(jobId))!.job).toMatchObject({
    status: 'succeeded',
    succeeded: names.length,
  });
});

it('holds a message as a delayed copy while its model cannot load, and lets it through once it can', async () => {
  const broken = servicesWithoutModel(env.connectionString);
  const message: JobImagesMessage = {
    kind: 'job',
    jobId: newJobId(),
    container: HAND,
    images: [{ resultId: 'b-held', blob: 'held.png' }],
    enqueuedAt: new Date().toISOString(),
  };
  const queue = env.services.storage.queues.getQueueClient('classify');
  await queue.clearMessages();
  const lines: string[] = [];
  expect(await broken.modelGate.admit(message, { delaySeconds: 3, log: (l) => lines.push(l) })).toBe('held');
  expect(lines.join('\n')).toMatch(/model unavailable, 1 message\(s\) held for 3 s .*missing\.onnx/);
  // The copy is invisible for the delay, then there to be taken again.
  expect((await queue.receiveMessages()).receivedMessageItems).toHaveLength(0);
  await new Promise((r) => setTimeout(r, 3500));
  const [copy] = (await queue.receiveMessages()).receivedMessageItems;
  expect(decodeQueueMessage(copy.messageText)).toEqual(message);
  // The gate of a Services whose model loads is not held by the other's.
  expect(await env.services.modelGate.admit(message)).toBe('ready');
});

it('holds only the messages of the model that cannot load', async () => {
  const dir = missingModelDir();
  const services = servicesFor(env.connectionString, {
    models: { manifestDirs: [dir] },
  });
  const message = (model?: string): JobImagesMessage => ({
    kind: 'job',
    jobId: newJobId(),
    container: HAND,
    images: [{ resultId: 'b-per-model', blob: 'x.png' }],
    model,
    enqueuedAt: new Date().toISOString(),
  });
  expect(await services.modelGate.admit(message('mean-missing'), { delaySeconds: 1 })).toBe('held');
  expect(await services.modelGate.admit(message())).toBe('ready');
  await services.models.close();
});
