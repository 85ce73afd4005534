// The local host against a real Azurite, running the fixture app in test/local/fixture.
import os from 'node:os';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import * as path from 'path';
import { startHost, type RunningHost } from '../../../src/local/functionsHost/host';
import { useAzurite } from '../../support/azurite';
import eventGrid from '../../fixtures/triggers/eventgrid-blob-created.json';
import { shapeOf } from '../../support/events';

const appRoot = path.join(__dirname, 'fixture');
const azurite = useAzurite();

interface Call {
  fn: string;
  message?: { id: string };
  dequeueCount?: number;
  name?: string;
  blobTrigger?: string;
  size?: number;
  isBuffer?: boolean;
  text?: string;
  event?: { id: string; subject: string; data: { sequencer: string; contentLength: number } };
  metadataKeys?: string[];
  at?: number;
  timer?: { isPastDue: boolean; schedule: { adjustForDST: boolean } };
}

async function start(
  options: { hostId?: string; eventGridAnswerLimitMs?: number } = {},
): Promise<RunningHost> {
  return startHost({
    appRoot,
    port: 0,
    connectionString: azurite.connectionString,
    hostId: options.hostId ?? 'fixture-host',
    eventGridSubscriptions: [{ functionName: 'onBlobCreated', container: 'drop' }],
    eventGridAnswerLimitMs: options.eventGridAnswerLimitMs,
    logLevel: (process.env.LOCAL_HOST_LOG as 'debug' | undefined) ?? 'silent',
  });
}

async function calls(host: RunningHost): Promise<Call[]> {
  return (await (await fetch(`${host.url}/api/calls`)).json()) as Call[];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

describe('local host', () => {
  let host: RunningHost;
  beforeAll(async () => {
    host = await start();
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('listens on loopback only: no function keys are checked locally', async () => {
    expect(host.address).toBe('127.0.0.1');
    expect((await fetch(`http://127.0.0.1:${host.port}/api/calls`)).status).toBe(200);
    const outside = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4')?.address;
    if (outside) await expect(fetch(`http://${outside}:${host.port}/api/calls`)).rejects.toThrow();
  });

  it('loads every function of package.json main, a glob with braces as the quickstarts write it', () => {
    expect(host.functions.sort()).toEqual([
      'boom',
      'calls',
      'echo',
      'fromSetup',
      'getItem',
      'onBlobCreated',
      'page',
      'tick',
      'work',
    ]);
  });

  it('routes under the api prefix with route params, optional params and query, case-insensitively', async () => {
    const res = await fetch(`${host.url}/API/Items/42?q=cat`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: '42', part: null, q: 'cat', fn: 'getItem' });
    const withPart = await fetch(`${host.url}/api/items/42/meta`);
    expect(await withPart.json()).toMatchObject({ id: '42', part: 'meta' });
  });

  it('passes the body, status and headers through the library', async () => {
    const res = await fetch(`${host.url}/api/echo`, { method: 'POST', body: 'hello' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(await res.text()).toBe('hello');
  });

  it('answers 404 for an unknown route or method and 500 when a handler throws', async () => {
    expect((await fetch(`${host.url}/nope`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/echo`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${host.url}/api/boom`)).status).toBe(500);
  });

  it('lets a catch-all route take the rest of the prefix but not override literal routes', async () => {
    expect(await (await fetch(`${host.url}/api/some/page`)).text()).toBe('page for some/page');
    expect((await fetch(`${host.url}/api/calls`)).headers.get('content-type')).toContain('application/json');
  });

  it('rejects a request body over the size limit with 413', async () => {
    const small = await startHost({ appRoot, port: 0, logLevel: 'silent', maxRequestBodyBytes: 10 });
    try {
      const res = await fetch(`${small.url}/api/echo`, { method: 'POST', body: 'x'.repeat(100) });
      expect(res.status).toBe(413);
    } finally {
      await small.stop();
    }
  });

  it('runs a timer on its NCRONTAB schedule with the camel-cased TimerInfo', async () => {
    const tick = await waitFor('a timer run', async () => (await calls(host)).find((c) => c.fn === 'tick'));
    expect(tick.timer).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
  });

  it('runs a base64 JSON queue message once and deletes it', async () => {
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('work');
    await queue.createIfNotExists();
    await queue.sendMessage(base64({ id: 'ok-1', failUntil: 0 }));
    const seen = await waitFor('the message to run', async () => {
      const c = (await calls(host)).filter((x) => x.message?.id === 'ok-1');
      return c.length > 0 ? c : undefined;
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].dequeueCount).toBe(1);
    await waitFor('the message to be deleted', async () =>
      (await queue.getProperties()).approximateMessagesCount === 0 ? true : undefined,
    );
  });

  it('retries a failing message and succeeds on a later attempt', async () => {
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('work');
    await queue.sendMessage(base64({ id: 'retry-1', failUntil: 2 }));
    const attempts = await waitFor('three attempts', async () => {
      const c = (await calls(host)).filter((x) => x.message?.id === 'retry-1');
      return c.length >= 3 ? c : undefined;
    });
    expect(attempts.map((a) => a.dequeueCount)).toEqual([1, 2, 3]);
  });

  it('fails an invocation past host.json functionTimeout, as the host does, so its message is retried', async () => {
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('work');
    await queue.sendMessage(base64({ id: 'hang-1', failUntil: 0, hangUntil: 1 }));
    const attempts = await waitFor('a second attempt', async () => {
      const c = (await calls(host)).filter((x) => x.message?.id === 'hang-1');
      return c.length >= 2 ? c : undefined;
    });
    expect(attempts.map((a) => a.dequeueCount)).toEqual([1, 2]);
    // The first attempt was still asleep when the host gave up on it (2 s), so the retry came before its 4 s.
    expect(attempts[1].at! - attempts[0].at!).toBeLessThan(4000);
  });

  it('moves a message that fails maxDequeueCount times to <queue>-poison', async () => {
    const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
    await service.getQueueClient('work').sendMessage(base64({ id: 'poison-1', failUntil: 'always' }));
    const poison = service.getQueueClient('work-poison');
    const peeked = await waitFor('the poison message', async () => {
      if (!(await poison.exists())) return undefined;
      const r = await poison.peekMessages({ numberOfMessages: 32 });
      return r.peekedMessageItems.find((m) =>
        Buffer.from(m.messageText, 'base64').toString().includes('poison-1'),
      );
    });
    expect(JSON.parse(Buffer.from(peeked.messageText, 'base64').toString())).toEqual({
      id: 'poison-1',
      failUntil: 'always',
    });
    const attempts = (await calls(host)).filter((x) => x.message?.id === 'poison-1');
    expect(attempts.map((a) => a.dequeueCount)).toEqual([1, 2, 3]);
  });

  it('moves a message that is not base64 to poison without running it', async () => {
    const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
    await service.getQueueClient('work').sendMessage('{"id":"raw-1"}');
    await waitFor('the raw message in poison', async () => {
      const r = await service.getQueueClient('work-poison').peekMessages({ numberOfMessages: 32 });
      return r.peekedMessageItems.find((m) => m.messageText.includes('raw-1'));
    });
    expect((await calls(host)).filter((x) => x.message?.id === 'raw-1')).toHaveLength(0);
  });
});

describe('local host Event Grid stand-in (BlobCreated)', () => {
  const container = () =>
    BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('drop');
  const onBlob = (all: Call[], name: string) =>
    all.filter((c) => c.fn === 'onBlobCreated' && c.name === name);
  /** The first two deliveries of one blob's event (a retry follows Event Grid's 10 s first delay). */
  const twoDeliveries = (host: RunningHost, name: string) =>
    waitFor(
      `a second delivery of ${name}`,
      async () => {
        const attempts = onBlob(await calls(host), name);
        return attempts.length >= 2 ? attempts : undefined;
      },
      20_000,
    );

  it('delivers each new blob version once, in the published event shape, and not again after a restart', async () => {
    await container().createIfNotExists();
    let host = await start();
    await container().getBlockBlobClient('a/first.txt').uploadData(Buffer.from('first'));
    const first = await waitFor('first.txt', async () => onBlob(await calls(host), 'a/first.txt')[0]);
    expect(shapeOf(first.event)).toEqual(shapeOf(eventGrid.event));
    expect(first.event).toMatchObject({
      eventType: 'Microsoft.Storage.BlobCreated',
      subject: '/blobServices/default/containers/drop/blobs/a/first.txt',
      data: { contentLength: 5, blobType: 'BlockBlob' },
    });
    expect(first.metadataKeys).toEqual(['data']);
    await new Promise((r) => setTimeout(r, 2500)); // past the checkpoint interval
    await host.stop();

    // Written while the host is down: delivered after the restart, like a pending Event Grid event.
    await container().getBlockBlobClient('second.txt').uploadData(Buffer.from('second'));
    host = await start();
    try {
      await waitFor('second.txt', async () => onBlob(await calls(host), 'second.txt')[0]);
      await new Promise((r) => setTimeout(r, 1500));
      const all = await calls(host);
      expect(onBlob(all, 'a/first.txt')).toHaveLength(1);
      expect(onBlob(all, 'second.txt')).toHaveLength(1);

      // A new version of a blob (new ETag) is a new event, later in sequence.
      await container().getBlockBlobClient('second.txt').uploadData(Buffer.from('second, v2'));
      const [v1, v2] = await waitFor('second.txt v2', async () => {
        const events = onBlob(await calls(host), 'second.txt');
        return events.length === 2 ? events : undefined;
      });
      expect(v2.event!.data.sequencer > v1.event!.data.sequencer).toBe(true);
      expect(v2.event!.id).not.toBe(v1.event!.id);
    } finally {
      await host.stop();
    }
  });

  it("retries a failed delivery of the same event on Event Grid's schedule (10 s first)", async () => {
    await container().createIfNotExists();
    const host = await start();
    try {
      await container().getBlockBlobClient('bad.txt').uploadData(Buffer.from('fail'));
      const [a, b] = await twoDeliveries(host, 'bad.txt');
      expect(b.event!.id).toBe(a.event!.id);
      expect(b.at! - a.at!).toBeGreaterThanOrEqual(10_000);
    } finally {
      await host.stop();
    }
  }, 30_000);

  it('sends no event for a blob written before the subscription existed (its first start), as Event Grid', async () => {
    await container().createIfNotExists();
    await container().getBlockBlobClient('before-subscription.txt').uploadData(Buffer.from('old'));
    await new Promise((r) => setTimeout(r, 1100)); // Last-Modified has whole seconds
    let host = await start({ hostId: 'new-subscription' });
    try {
      await container().getBlockBlobClient('after-subscription.txt').uploadData(Buffer.from('new'));
      await waitFor(
        'after-subscription.txt',
        async () => onBlob(await calls(host), 'after-subscription.txt')[0],
      );
      await new Promise((r) => setTimeout(r, 2500)); // listings and a checkpoint later
      expect(onBlob(await calls(host), 'before-subscription.txt')).toEqual([]);
      await host.stop();
      // The subscription outlives a restart: still nothing for the old blob.
      host = await start({ hostId: 'new-subscription' });
      await new Promise((r) => setTimeout(r, 2500));
      expect(onBlob(await calls(host), 'before-subscription.txt')).toEqual([]);
    } finally {
      await host.stop();
    }
  }, 30_000);

  it('retries an event not answered within the answer limit while the first invocation goes on; an answer before the retry cancels it', async () => {
    await container().createIfNotExists();
    // An answer limit of 0.5 s for the test (Event Grid's is 30 s), then the 10 s retry delay.
    const host = await start({ eventGridAnswerLimitMs: 500 });
    try {
      await container().getBlockBlobClient('slow-13000.txt').uploadData(Buffer.from('a slow one'));
      await container().getBlockBlobClient('slow-1500.txt').uploadData(Buffer.from('a late one'));
      const [first, retry] = await twoDeliveries(host, 'slow-13000.txt');
      expect(retry.event!.id).toBe(first.event!.id);
      // Due 10 s after the answer limit (at 10.5 s), not 10 s after the invocation ended (at 12 s:
      // the fixture's functionTimeout, 2 s, ends it).
      expect(retry.at! - first.at!).toBeGreaterThanOrEqual(10_300); // timers and the handler's own start move it by milliseconds
      expect(retry.at! - first.at!).toBeLessThan(11_500);
      // Answered after 1.5 s, past the answer limit but before its retry was due: delivered once.
      expect(onBlob(await calls(host), 'slow-1500.txt')).toHaveLength(1);
    } finally {
      await host.stop();
    }
  }, 40_000);
});
