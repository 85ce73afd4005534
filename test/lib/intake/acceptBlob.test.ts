/**
 * Intake on its own (no app, no host): a BlobCreated event's facts decide before a byte is
 * read, an older version's late event never overwrites the newer result, and a redelivery
 * after a crash between row and JSON blob repairs the blob. Against Azurite with the real model.
 */
import { toBlobCreated } from '../../../src/functions/converters/blobCreatedEvent';
import { acceptBlob } from '../../../src/lib/intake/acceptBlob';
import { decodeQueueMessage } from '../../../src/lib/queue/encoding';
import { blobResultId } from '../../../src/lib/results/ids';
import { createServices } from '../../../src/lib/services';
import { createStorageClients } from '../../../src/lib/storage/clients';
import { claimBlob } from '../../../src/lib/worker/claim';
import { blobCreatedEvent } from '../../support/events';
import { HAND, resultJson, version, work, workOptions } from '../../support/handBlobs';
import * as img from '../../support/images';
import { missingModelDir, servicesFor, servicesWithoutModel, useServices } from '../../support/services';

const env = useServices();
const blobs = () => env.services.storage.blobs;
const accept = (event: ReturnType<typeof blobCreatedEvent>) =>
  acceptBlob(env.services, toBlobCreated(event, HAND)!, workOptions());

it('rejects a blob the event says is over the byte limit without reading it', async () => {
  const name = `huge-${Date.now()}.png`;
  const real = await version(blobs(), name, img.photo(img.CAT)); // small in fact: a read would classify it
  const event = blobCreatedEvent({ container: HAND, name, etag: real.etag, size: 3_000_000_000 });
  expect((await accept(event)).outcome).toBe('failed');
  const record = await env.services.results.get(blobResultId(HAND, name));
  expect(record!.result).toMatchObject({
    status: 'failed',
    error: { code: 'file_too_large' },
    source: { bytes: 3_000_000_000 },
  });
});

it('ignores an upload name this app never handed out', async () => {
  const event = blobCreatedEvent({ container: 'uploads', name: 'not-ours.png', etag: '0x1', size: 10 });
  expect(await acceptBlob(env.services, toBlobCreated(event, 'uploads')!, workOptions())).toEqual({
    outcome: 'ignored',
  });
});

it('drops an event for an older version that arrives after the newer one finished', async () => {
  const name = `versions-${Date.now()}.png`;
  const v1 = await version(blobs(), name, img.photo('coffee.png'));
  const v2 = await version(blobs(), name, img.photo(img.CAT));
  expect((await accept(blobCreatedEvent({ container: HAND, name, ...v2, sequencer: '02' }))).outcome).toBe(
    'succeeded',
  );
  expect((await accept(blobCreatedEvent({ container: HAND, name, ...v1, sequencer: '01' }))).outcome).toBe(
    'superseded',
  );
  const record = await env.services.results.get(blobResultId(HAND, name));
  expect(img.CAT_CLASSES).toContain(record!.result.predictions![0].classIndex);
  expect(await resultJson(blobs(), name)).toEqual(record!.result);
});

it('repairs the JSON blob of a rejection on redelivery, after a crash between row and blob', async () => {
  const name = `rejected-${Date.now()}.png`;
  const v = await version(blobs(), name, img.photo(img.CAT));
  const w = { ...work(name, v), size: 3_000_000_000 };
  // The first delivery wrote its terminal row and died before the JSON blob.
  const claim = await claimBlob(env.services, w, {
    ...workOptions(),
    claimant: 'first',
    lastAttempt: false,
    readFirst: false,
  });
  expect(claim.kind).toBe('rejected');
  await expect(resultJson(blobs(), name)).rejects.toMatchObject({ statusCode: 404 });
  const event = blobCreatedEvent({ container: HAND, name, etag: v.etag, size: w.size, sequencer: '01' });
  expect((await accept(event)).outcome).toBe('duplicate');
  expect(await resultJson(blobs(), name)).toEqual((await env.services.results.get(w.id))!.result);
});

it('hands the work to the queue while the model cannot load, recording the version as queued', async () => {
  // The same account, a Services whose model has no file and no reachable download.
  const broken = servicesWithoutModel(env.connectionString);
  const name = `no-model-${Date.now()}.png`;
  const v = await version(blobs(), name, img.photo(img.CAT));
  const event = blobCreatedEvent({ container: HAND, name, ...v });
  expect((await acceptBlob(broken, toBlobCreated(event, HAND)!, workOptions())).outcome).toBe('handed_off');
  expect((await env.services.results.get(blobResultId(HAND, name)))!.result.status).toBe('queued');
  const queue = env.services.storage.queues.getQueueClient('classify');
  const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
  const texts = receivedMessageItems.map((m) => JSON.stringify(decodeQueueMessage(m.messageText)));
  expect(texts.some((t) => t.includes(name))).toBe(true);
});

it('hands a blob whose metadata names a model that cannot load to the queue, naming that model', async () => {
  const dir = missingModelDir();
  const services = servicesFor(env.connectionString, {
    models: { manifestDirs: [dir] },
  });
  const name = `wants-missing-${Date.now()}.png`;
  const container = blobs().getContainerClient(HAND);
  await container
    .getBlockBlobClient(name)
    .uploadData(img.photo(img.CAT), { metadata: { model: 'mean-missing' } });
  const props = await container.getBlockBlobClient(name).getProperties();
  const event = blobCreatedEvent({ container: HAND, name, etag: props.etag!, size: props.contentLength! });
  const queue = env.services.storage.queues.getQueueClient('classify');
  await queue.clearMessages();
  expect((await acceptBlob(services, toBlobCreated(event, HAND)!, workOptions())).outcome).toBe('handed_off');
  const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
  const messages = receivedMessageItems.map(
    (m) => decodeQueueMessage(m.messageText) as { blob: string; model?: string },
  );
  expect(messages.find((m) => m.blob === name)).toMatchObject({ model: 'mean-missing' });
  await services.models.close();
});

it('answers Event Grid within its budget while a slow classification goes on, and the queue gets the work too', async () => {
  // Every blob read of this Services waits 3 s (a slow network, a cold instance).
  const slow = createServices({
    storage: createStorageClients({
      AzureWebJobsStorage: env.connectionString,
      STORAGE_FAULTS: 'stall=3000:1:blob:GET',
    }),
  });
  const name = `slow-${Date.now()}.png`;
  const v = await version(blobs(), name, img.photo(img.CAT));
  const event = blobCreatedEvent({ container: HAND, name, ...v });
  const queue = env.services.storage.queues.getQueueClient('classify');
  await queue.clearMessages();
  const started = Date.now();
  const answer = await acceptBlob(slow, toBlobCreated(event, HAND)!, {
    ...workOptions(),
    answerWithinMs: 500,
  });
  expect(answer.outcome).toBe('handed_off');
  expect(Date.now() - started).toBeLessThan(2500); // not the 3 s read and the classification
  // The queue's copy waits for the claim's lease (60 s here), so it is not visible yet...
  const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
  expect(receivedMessageItems).toEqual([]);
  expect((await queue.getProperties()).approximateMessagesCount).toBe(1);
  // ...and the classification that went on records the result.
  const until = Date.now() + 30_000;
  let record = await env.services.results.get(blobResultId(HAND, name));
  while (record?.result.status !== 'succeeded' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    record = await env.services.results.get(blobResultId(HAND, name));
  }
  expect(record!.result.status).toBe('succeeded');
  expect(img.CAT_CLASSES).toContain(record!.result.predictions![0].classIndex);
  await slow.models.close();
}, 60_000);
