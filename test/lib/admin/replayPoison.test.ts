/**
 * replayPoison against a real Azurite, without the app: a `classify-poison` message whose image
 * failed with internal_error (or has no row yet, or is stuck) goes back to `classify` as it was,
 * its row reset to `queued`; one whose image succeeded meanwhile, or failed for a reason in the
 * image itself, is dropped from poison and not replayed; what is not a classify message stays in
 * poison for a person to look at; and one call handles at most `max` messages.
 */
import { replayPoison } from '../../../src/lib/admin/replayPoison';
import { newUploadId } from '../../../src/lib/results/ids';
import { decodeQueueMessage, encodeQueueMessage } from '../../../src/lib/queue/encoding';
import type { BlobMessage } from '../../../src/lib/queue/classifyMessage';
import type { ErrorCode } from '../../../src/lib/errors';
import { zeroTimings, type ClassificationResult } from '../../../src/lib/results/result';
import { storageNames } from '../../../src/lib/storage/names';
import { useServices } from '../../support/services';

const env = useServices();
const poison = () => env.services.storage.queues.getQueueClient(storageNames.classifyPoisonQueue);
const work = () => env.services.storage.queues.getQueueClient(storageNames.classifyQueue);

beforeEach(async () => {
  await poison().clearMessages();
  await work().clearMessages();
});

/** A stored upload result in `status`, failed with `code` when failed. */
async function row(status: 'failed' | 'succeeded' | 'queued', code: ErrorCode = 'internal_error') {
  const id = newUploadId();
  const result: ClassificationResult = {
    id,
    status,
    source: { name: 'cat.png', bytes: 1000 },
    model: { id: 'mobilenetv2-12-int8', sha256: 'abc' },
    timings: zeroTimings(),
    createdAt: new Date().toISOString(),
    ...(status === 'failed'
      ? { error: { code, message: 'Gave up after 5 attempts.' }, completedAt: new Date().toISOString() }
      : {}),
    ...(status === 'succeeded'
      ? {
          predictions: [{ label: 'tabby, tabby cat', classIndex: 281, score: 0.9 }],
          completedAt: new Date().toISOString(),
        }
      : {}),
  };
  await env.services.results.create(result, { container: 'uploads', name: id });
  return id;
}

const blobMessage = (resultId: string): BlobMessage => ({
  kind: 'blob',
  resultId,
  container: 'uploads',
  blob: resultId,
  enqueuedAt: new Date().toISOString(),
});

async function poisoned(message: unknown): Promise<string> {
  const text = typeof message === 'string' ? message : encodeQueueMessage(message);
  await poison().sendMessage(text);
  return text;
}

/** Every message in a queue, visible or not (the received ones stay invisible for a minute). */
const count = async (queue: ReturnType<typeof poison>) =>
  (await queue.getProperties()).approximateMessagesCount ?? 0;

async function replayedTexts(): Promise<string[]> {
  const { receivedMessageItems } = await work().receiveMessages({ numberOfMessages: 32 });
  return receivedMessageItems.map((m) => m.messageText);
}

describe('replayPoison', () => {
  it('sends an image that failed with internal_error back to classify as it was, its row queued again', async () => {
    const id = await row('failed', 'internal_error');
    const text = await poisoned(blobMessage(id));
    expect(await replayPoison(env.services)).toEqual({ replayed: [id], dropped: [], unreadable: 0 });
    expect(await replayedTexts()).toEqual([text]);
    expect(await count(poison())).toBe(0);
    const { result } = (await env.services.results.get(id))!;
    expect(result.status).toBe('queued');
    expect(result).not.toHaveProperty('error');
    expect(result).not.toHaveProperty('completedAt');
    // The row keeps what it said about the image and where it lives.
    expect(result.source).toEqual({ name: 'cat.png', bytes: 1000 });
    expect((await env.services.results.get(id))!.blob).toMatchObject({ container: 'uploads', name: id });
  });

  it('replays an image with no row yet (the worker creates it) and one stuck in queued', async () => {
    const missing = newUploadId();
    const stuck = await row('queued');
    await poisoned(blobMessage(missing));
    await poisoned(blobMessage(stuck));
    const outcome = await replayPoison(env.services);
    expect(outcome.replayed.sort()).toEqual([missing, stuck].sort());
    expect(await count(work())).toBe(2);
  });

  it('drops, without replaying, an image that succeeded meanwhile or failed for a reason in the image', async () => {
    const succeeded = await row('succeeded');
    const corrupt = await row('failed', 'corrupt_image');
    const tooLarge = await row('failed', 'file_too_large');
    for (const id of [succeeded, corrupt, tooLarge]) await poisoned(blobMessage(id));
    const outcome = await replayPoison(env.services);
    expect(outcome.replayed).toEqual([]);
    expect(outcome.dropped.sort()).toEqual([succeeded, corrupt, tooLarge].sort());
    expect(await count(work())).toBe(0);
    expect(await count(poison())).toBe(0);
    expect((await env.services.results.get(corrupt))!.result).toMatchObject({
      status: 'failed',
      error: { code: 'corrupt_image' },
    });
    expect((await env.services.results.get(succeeded))!.result.status).toBe('succeeded');
  });

  it('replays a job message when any of its images needs it, and reports each image', async () => {
    const retry = await row('failed', 'internal_error');
    const done = await row('succeeded');
    const text = await poisoned({
      kind: 'job',
      jobId: '6f9619ff-8b86-4d01-b42d-00c04fc964ff',
      container: 'images',
      images: [
        { resultId: retry, blob: 'a.jpg' },
        { resultId: done, blob: 'b.jpg' },
      ],
      enqueuedAt: new Date().toISOString(),
    });
    expect(await replayPoison(env.services)).toEqual({ replayed: [retry], dropped: [done], unreadable: 0 });
    expect(await replayedTexts()).toEqual([text]);
  });

  it('leaves what is not a classify message in poison, counted as unreadable', async () => {
    await poisoned('not base64 json');
    await poisoned({ kind: 'blob', container: 'uploads' }); // no result id: not a classify message
    const id = await row('failed', 'internal_error');
    await poisoned(blobMessage(id));
    expect(await replayPoison(env.services)).toEqual({ replayed: [id], dropped: [], unreadable: 2 });
    expect(await count(poison())).toBe(2);
    expect(await count(work())).toBe(1);
  });

  it('handles at most `max` messages in one call', async () => {
    const ids = [await row('failed'), await row('failed'), await row('failed')];
    for (const id of ids) await poisoned(blobMessage(id));
    const first = await replayPoison(env.services, { max: 2 });
    expect(first.replayed).toHaveLength(2);
    expect(await count(poison())).toBe(1);
    const rest = await replayPoison(env.services, { max: 2 });
    expect([...first.replayed, ...rest.replayed].sort()).toEqual([...ids].sort());
    expect(await count(poison())).toBe(0);
    const sent = (await replayedTexts()).map((t) => (decodeQueueMessage(t) as BlobMessage).resultId);
    expect(sent.sort()).toEqual([...ids].sort());
  });
});
