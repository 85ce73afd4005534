/**
 * A blob deleted from the drop folder leaves no result anywhere, against Azurite alone (no app,
 * the real model): the BlobDeleted handler on its own and redelivered after a crash part-way,
 * a deletion older than the stored version, and a deletion that meets the worker at each of
 * its steps (before the read, while it stores the result, after a crash between its writes
 * and its check), with the blob written again in between or not. Uploads keep blob_not_found.
 */
import { toBlobDeleted } from '../../../src/functions/converters/blobDeletedEvent';
import { forgetBlob } from '../../../src/lib/intake/forgetBlob';
import { blobResultId } from '../../../src/lib/results/ids';
import { createServices, type Services } from '../../../src/lib/services';
import { createStorageClients } from '../../../src/lib/storage/clients';
import { createUpload } from '../../../src/lib/uploads/createUpload';
import { jobImageResultId, newJob } from '../../../src/lib/jobs/job';
import { markBlobFailed, processBlob } from '../../../src/lib/worker/processBlob';
import { processJobImage } from '../../../src/lib/worker/processJobImage';
import type { BlobWork } from '../../../src/lib/worker/work';
import { blobDeletedEvent } from '../../support/events';
import { workOptions } from '../../support/handBlobs';
import * as img from '../../support/images';
import { eventually } from '../../support/stack';
import { useServices } from '../../support/services';

const env = useServices();
const IMAGES = 'images';

let counter = 0;
/** Event Grid sequencers for this file, in the order they are asked for. */
const nextSequencer = (): string =>
  Date.now().toString(16).padStart(16, '0') + (counter++).toString(16).padStart(16, '0');

/** Bytes no other test classifies (so the content index learns from this one). */
const uniquePng = (): Promise<Buffer> =>
  img.solidPng([Math.floor(Math.random() * 256), Math.floor(Math.random() * 256), counter++ % 256]);

/** Writes a version of a drop-folder blob and returns the work its BlobCreated event makes. */
async function write(name: string, bytes: Buffer): Promise<BlobWork> {
  const blob = env.services.storage.blobs.getContainerClient(IMAGES).getBlockBlobClient(name);
  await blob.uploadData(bytes);
  const props = await blob.getProperties();
  return {
    id: blobResultId(IMAGES, name),
    blob: { container: IMAGES, name, etag: props.etag!, sequencer: nextSequencer() },
    size: props.contentLength!,
    since: new Date().toISOString(),
  };
}

const removeBlob = (name: string) =>
  env.services.storage.blobs.getContainerClient(IMAGES).getBlobClient(name).deleteIfExists();

const run = (work: BlobWork, services: Services = env.services, claimant = 'event-1') =>
  processBlob(services, work, { ...workOptions(), claimant, lastAttempt: false });

/** The BlobDeleted event of `name` as Event Grid sends it, through the function's converter. */
const deletion = (name: string, sequencer = nextSequencer()) =>
  toBlobDeleted(blobDeletedEvent({ container: IMAGES, name, sequencer }), IMAGES)!;

/** Everything stored about a result: its row, the JSON blob of its name, its search entries and what the content index learnt from it. */
async function traces(name: string) {
  const id = blobResultId(IMAGES, name);
  let search = 0;
  for await (const _ of env.services.storage
    .table('search')
    .listEntities({ queryOptions: { filter: `id eq '${id}'` } }))
    search++;
  let content = 0;
  for await (const _ of env.services.storage
    .table('content')
    .listEntities({ queryOptions: { filter: `firstResultId eq '${id}'` } }))
    content++;
  const json = await env.services.results.readBlob({ container: IMAGES, name });
  return {
    row: (await env.services.results.get(id))?.result.status,
    json: json?.result?.status,
    search,
    content,
  };
}

const NOTHING = { row: undefined, json: undefined, search: 0, content: 0 };

describe('a drop-folder blob deleted after it was classified', () => {
  it('takes its row, JSON blob, search entries and content memory along; a redelivery finds nothing to do', async () => {
    const name = `classified-${Date.now()}.png`;
    const w = await write(name, await uniquePng());
    expect((await run(w)).outcome).toBe('succeeded');
    // Two search entities (by class, by day) and the content memory, besides the row and JSON blob.
    expect(await traces(name)).toEqual({ row: 'succeeded', json: 'succeeded', search: 2, content: 1 });
    await removeBlob(name);
    const event = deletion(name);
    expect(await forgetBlob(env.services, event)).toEqual({ id: w.id, outcome: 'deleted' });
    expect(await traces(name)).toEqual(NOTHING);
    expect(await forgetBlob(env.services, event)).toEqual({ id: w.id, outcome: 'absent' });
  });

  it('finishes on redelivery what a crash left after the row went (the JSON blob still names the rest)', async () => {
    const name = `crashed-handler-${Date.now()}.png`;
    const w = await write(name, await uniquePng());
    await run(w);
    await removeBlob(name);
    // A handler that died right after deleting the row (before the JSON blob and what it names).
    await env.services.results.delete(w.id);
    expect(await traces(name)).toEqual({ row: undefined, json: 'succeeded', search: 2, content: 1 });
    expect(await forgetBlob(env.services, deletion(name))).toEqual({ id: w.id, outcome: 'absent' });
    expect(await traces(name)).toEqual(NOTHING);
  });

  it('keeps the result of a version written after the deletion (an older deletion arriving late)', async () => {
    const name = `written-again-${Date.now()}.png`;
    const late = deletion(name); // the deletion happened first: its sequencer is older
    const w = await write(name, await uniquePng());
    await run(w);
    const before = await traces(name);
    expect(await forgetBlob(env.services, late)).toEqual({ id: w.id, outcome: 'kept' });
    expect(await traces(name)).toEqual(before);
  });
});

describe('a drop-folder blob deleted while the worker has it', () => {
  it('is deleted, not blob_not_found, when the worker finds it gone: no row, before or after its BlobDeleted', async () => {
    const name = `gone-before-read-${Date.now()}.png`;
    const w = await write(name, await uniquePng());
    await removeBlob(name);
    expect(await run(w)).toEqual({ outcome: 'deleted' });
    expect(await traces(name)).toEqual(NOTHING);
    expect((await forgetBlob(env.services, deletion(name))).outcome).toBe('absent');
    // Its BlobCreated redelivered after the BlobDeleted was handled: still nothing.
    expect(await run(w, env.services, 'event-2')).toEqual({ outcome: 'deleted' });
    expect(await traces(name)).toEqual(NOTHING);
  });

  it("gets no result from its event's facts either (an empty blob), nor from the last attempt's watchdog", async () => {
    const name = `empty-gone-${Date.now()}.png`;
    const w = await write(name, Buffer.alloc(0));
    await removeBlob(name);
    expect(await run(w)).toEqual({ outcome: 'deleted' });
    expect(await traces(name)).toEqual(NOTHING);
    await markBlobFailed(env.services, w, new Error('the last attempt did not finish'), {
      attempts: 5,
      claimant: 'message-1',
    });
    expect(await traces(name)).toEqual(NOTHING);
  });

  it("gets no failure from the last attempt's watchdog when the blob goes while it writes one", async () => {
    // The watchdog looks (the blob is there), then writes the failure: a create that takes 1.5 s,
    // in which the blob is deleted and its BlobDeleted finds no row yet.
    const slowWriter = createServices({
      storage: createStorageClients({
        AzureWebJobsStorage: env.connectionString,
        STORAGE_FAULTS: 'stall=1500:1:table:POST',
      }),
    });
    try {
      const name = `gone-while-failing-${Date.now()}.png`;
      const w = await write(name, await uniquePng());
      const failing = markBlobFailed(slowWriter, w, new Error('the last attempt did not finish'), {
        attempts: 5,
        claimant: 'message-1',
      });
      await new Promise((r) => setTimeout(r, 500)); // the look is done, the create is out
      await removeBlob(name);
      expect((await forgetBlob(env.services, deletion(name))).outcome).toBe('absent');
      await failing;
      expect(await traces(name)).toEqual(NOTHING);
    } finally {
      await slowWriter.models.close();
    }
  }, 60_000);

  it('leaves nothing when the deletion is handled between the terminal row and the JSON blob, search entries and memory', async () => {
    // This worker's blob writes (the JSON, a PUT) each take 1.5 s: its row is terminal that long
    // before the JSON blob and the search entries exist.
    const slowWriter = createServices({
      storage: createStorageClients({
        AzureWebJobsStorage: env.connectionString,
        STORAGE_FAULTS: 'stall=1500:1:blob:PUT',
      }),
    });
    try {
      const name = `deleted-while-storing-${Date.now()}.png`;
      const w = await write(name, await uniquePng());
      const worked = run(w, slowWriter);
      await eventually('the row to turn terminal', async () =>
        (await env.services.results.get(w.id))?.result.status === 'succeeded' ? true : undefined,
      );
      await removeBlob(name);
      expect((await forgetBlob(env.services, deletion(name))).outcome).toBe('deleted');
      expect((await worked).outcome).toBe('succeeded'); // it had classified; what it stored then is undone
      expect(await traces(name)).toEqual(NOTHING);
    } finally {
      await slowWriter.models.close();
    }
  }, 60_000);

  it('leaves nothing after a worker crashed between its writes and its check, once its work comes again', async () => {
    const name = `crashed-worker-${Date.now()}.png`;
    const w = await write(name, await uniquePng());
    await run(w);
    // The state such a crash leaves: the BlobDeleted handled before the worker's writes (it found
    // no JSON blob), the row gone, the JSON blob, search entries and memory written after.
    await removeBlob(name);
    await env.services.results.delete(w.id);
    expect(await traces(name)).toEqual({ row: undefined, json: 'succeeded', search: 2, content: 1 });
    // The crashed delivery comes again (Event Grid, or the queue's copy).
    expect(await run(w, env.services, 'event-2')).toEqual({ outcome: 'deleted' });
    expect(await traces(name)).toEqual(NOTHING);
  });

  it('leaves nothing of the deleted version when the name was written again before that work came again', async () => {
    const name = `crashed-then-rewritten-${Date.now()}.png`;
    const old = await write(name, await uniquePng());
    await run(old);
    await removeBlob(name);
    await env.services.results.delete(old.id); // as above: the crash's leftovers
    const stale = await traces(name);
    // Written again and classified: the old work, when it comes again, is superseded.
    const fresh = await write(name, await uniquePng());
    expect((await run(fresh, env.services, 'event-3')).outcome).toBe('succeeded');
    expect(stale).toEqual({ row: undefined, json: 'succeeded', search: 2, content: 1 });
    expect((await run(old, env.services, 'event-2')).outcome).toBe('superseded');
    const now = await traces(name);
    // Only the new version's result: its row, its JSON blob and its two search entries.
    expect(now).toMatchObject({ row: 'succeeded', json: 'succeeded', search: 2 });
    const stored = await env.services.results.readBlob({ container: IMAGES, name });
    expect(stored!.version.sequencer).toBe(fresh.blob.sequencer);
  });
});

describe('uploads and job images keep blob_not_found', () => {
  it('records blob_not_found for an upload whose blob is gone before it is read', async () => {
    const ticket = await createUpload(
      env.services,
      { fileName: 'gone.png', contentType: 'image/png', size: 10 },
      { baseUrl: 'http://localhost' },
    );
    const done = await processBlob(
      env.services,
      { id: ticket.id, blob: { container: 'uploads', name: ticket.id }, since: new Date().toISOString() },
      { ...workOptions(), claimant: 'message-1', lastAttempt: false },
    );
    expect(done).toMatchObject({ outcome: 'failed', result: { error: { code: 'blob_not_found' } } });
  });

  it('records blob_not_found for a job image of the drop folder deleted after the job listed it', async () => {
    const job = newJob({
      kind: 'listing',
      container: IMAGES,
      total: 1,
      listedPages: 1,
      listingComplete: true,
    });
    await env.services.jobs.create(job);
    const name = `listed-then-deleted-${Date.now()}.png`;
    const w = await write(name, await uniquePng());
    await removeBlob(name);
    const { done, count } = await processJobImage(
      env.services,
      { ...w, id: jobImageResultId(job.id, IMAGES, name), jobId: job.id, blob: { container: IMAGES, name } },
      { ...workOptions(), claimant: 'message-1', lastAttempt: false },
    );
    expect(done).toMatchObject({ outcome: 'failed', result: { error: { code: 'blob_not_found' } } });
    expect(count?.error?.code).toBe('blob_not_found'); // the job accounts for every image it listed
  });
});
