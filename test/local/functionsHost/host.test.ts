// The local host against a real Azurite, running the fixture app in test/local/fixture.
import os from 'node:os';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import * as path from 'path';
import { startHost, type RunningHost } from '../../../src/local/functionsHost/host';
import { useAzurite } from '../../support/azurite';
import eventGrid from '../../fixtures/triggers/eventgrid-blob-created.json';
import eventGridDeleted from '../../fixtures/triggers/eventgrid-blob-deleted.json';
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
  event?: {
    id: string;
    subject: string;
    eventType: string;
    data: { sequencer: string; contentLength: number; contentType: string };
  };
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
    eventGridSubscriptions: [
      { functionName: 'onBlobCreated', container: 'drop' },
      { functionName: 'onBlobDeleted', container: 'drop', eventTypes: ['Microsoft.Storage.BlobDeleted'] },
    ],
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
      'onBlobDeleted',
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

describe('local host Event Grid stand-in (BlobDeleted)', () => {
  const container = () =>
    BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('drop');
  const of = (all: Call[], fn: string, name: string) => all.filter((c) => c.fn === fn && c.name === name);
  const deliveries = (host: RunningHost, name: string, count: number, timeoutMs = 20_000) =>
    waitFor(
      `${count} BlobDeleted deliveries of ${name}`,
      async () => {
        const found = of(await calls(host), 'onBlobDeleted', name);
        return found.length >= count ? found : undefined;
      },
      timeoutMs,
    );

  it('sends one BlobDeleted per deleted blob, in the published shape, after its BlobCreated in sequence, only to the subscription that includes it', async () => {
    await container().createIfNotExists();
    const host = await start();
    try {
      const blob = container().getBlockBlobClient('gone/once.txt');
      await blob.uploadData(Buffer.from('to be deleted'), {
        blobHTTPHeaders: { blobContentType: 'text/plain' },
      });
      const created = await waitFor(
        'its BlobCreated',
        async () => of(await calls(host), 'onBlobCreated', 'gone/once.txt')[0],
      );
      await blob.delete();
      const [deleted] = await deliveries(host, 'gone/once.txt', 1);
      expect(shapeOf(deleted.event)).toEqual(shapeOf(eventGridDeleted.event));
      expect(deleted.event).toMatchObject({
        eventType: 'Microsoft.Storage.BlobDeleted',
        subject: '/blobServices/default/containers/drop/blobs/gone/once.txt',
        data: { api: 'DeleteBlob', contentType: 'text/plain', blobType: 'BlockBlob' },
      });
      expect(deleted.event!.data).not.toHaveProperty('eTag');
      expect(deleted.event!.data).not.toHaveProperty('contentLength');
      // One sequence across subscriptions: the app compares a deletion with the version it stored.
      expect(deleted.event!.data.sequencer > created.event!.data.sequencer).toBe(true);
      await new Promise((r) => setTimeout(r, 1500)); // more listings: still one of each
      const all = await calls(host);
      expect(of(all, 'onBlobDeleted', 'gone/once.txt')).toHaveLength(1);
      expect(of(all, 'onBlobCreated', 'gone/once.txt')).toHaveLength(1);
      // Each function gets only the types its subscription includes.
      expect(
        all.filter((c) => c.fn === 'onBlobDeleted').every((c) => c.event!.eventType.endsWith('BlobDeleted')),
      ).toBe(true);
      expect(
        all.filter((c) => c.fn === 'onBlobCreated').every((c) => c.event!.eventType.endsWith('BlobCreated')),
      ).toBe(true);
    } finally {
      await host.stop();
    }
  }, 40_000);

  it('sends the BlobDeleted of a blob deleted while no host ran, once the first listing after the start lacks it', async () => {
    await container().createIfNotExists();
    const blob = container().getBlockBlobClient('gone/while-down.txt');
    let host = await start();
    await blob.uploadData(Buffer.from('listed, then deleted while down'));
    await waitFor(
      'its BlobCreated',
      async () => of(await calls(host), 'onBlobCreated', 'gone/while-down.txt')[0],
    );
    await new Promise((r) => setTimeout(r, 2500)); // past the checkpoint interval: the name is known
    await host.stop();
    await blob.delete();
    host = await start();
    try {
      const [deleted] = await deliveries(host, 'gone/while-down.txt', 1);
      expect(shapeOf(deleted.event)).toEqual(shapeOf(eventGridDeleted.event));
      await new Promise((r) => setTimeout(r, 2500)); // delivered and checkpointed: not again after another restart
      await host.stop();
      host = await start();
      await new Promise((r) => setTimeout(r, 2500));
      expect(of(await calls(host), 'onBlobDeleted', 'gone/while-down.txt')).toHaveLength(1);
    } finally {
      await host.stop();
    }
  }, 40_000);

  it('has saved a name in the deletion checkpoint before its BlobCreated is delivered, so a crash then loses no BlobDeleted', async () => {
    await container().createIfNotExists();
    const host = await start();
    try {
      const checkpoint = BlobServiceClient.fromConnectionString(azurite.connectionString)
        .getContainerClient('azure-webjobs-hosts')
        .getBlobClient('eventgrid-standin/fixture-host/onBlobDeleted.json');
      for (let i = 0; i < 5; i++) {
        const name = `gone/known-first-${i}.txt`;
        await container().getBlockBlobClient(name).uploadData(Buffer.from(name));
        await waitFor('its BlobCreated', async () => of(await calls(host), 'onBlobCreated', name)[0]);
        // Read at once, well inside the 2 s checkpoint interval: a host killed now still knows the name.
        const saved = JSON.parse((await checkpoint.downloadToBuffer()).toString()) as { listed?: object };
        expect(Object.keys(saved.listed ?? {})).toContain(name);
      }
    } finally {
      await host.stop();
    }
  }, 40_000);

  it('sends again, after a restart, a BlobCreated not yet answered, though its blob was deleted meanwhile (Event Grid keeps it)', async () => {
    await container().createIfNotExists();
    const blob = container().getBlockBlobClient('gone/created-owed.txt');
    let host = await start();
    try {
      await blob.uploadData(Buffer.from('fail')); // 4 bytes: the fixture's BlobCreated handler fails
      const first = await waitFor(
        'its first BlobCreated',
        async () => of(await calls(host), 'onBlobCreated', 'gone/created-owed.txt')[0],
      );
      // Stopped while Event Grid's retry (10 s) is pending, then the blob goes.
      await host.stop();
      await blob.delete();
      host = await start();
      const again = await waitFor('the BlobCreated again', async () => {
        const found = of(await calls(host), 'onBlobCreated', 'gone/created-owed.txt');
        return found.length >= 2 ? found[1] : undefined;
      });
      expect(again.event!.id).toBe(first.event!.id);
      expect(again.event!.data.sequencer).toBe(first.event!.data.sequencer);
      // ...and its BlobDeleted, after it in sequence.
      const [deleted] = await deliveries(host, 'gone/created-owed.txt', 1);
      expect(deleted.event!.data.sequencer > first.event!.data.sequencer).toBe(true);
    } finally {
      await host.stop();
    }
  }, 40_000);

  it('keeps an undelivered deletion across a restart and delivers it again with the same id', async () => {
    await container().createIfNotExists();
    // The fixture fails the first delivery of a deletion whose name says "refuse-first".
    const blob = container().getBlockBlobClient('gone/refuse-first.txt');
    let host = await start();
    try {
      await blob.uploadData(Buffer.from('its deletion is refused at first'));
      await waitFor(
        'its BlobCreated',
        async () => of(await calls(host), 'onBlobCreated', 'gone/refuse-first.txt')[0],
      );
      await blob.delete();
      const [refused] = await deliveries(host, 'gone/refuse-first.txt', 1);
      // Stopped while Event Grid's retry (10 s) is pending: the deletion is still owed.
      await host.stop();
      host = await start();
      const [, again] = await deliveries(host, 'gone/refuse-first.txt', 2);
      expect(again.event!.id).toBe(refused.event!.id);
      expect(again.event!.data.sequencer).toBe(refused.event!.data.sequencer);
      expect(again.at! - refused.at!).toBeLessThan(10_000); // at the start, not on the retry schedule
      await new Promise((r) => setTimeout(r, 2500));
      expect(of(await calls(host), 'onBlobDeleted', 'gone/refuse-first.txt')).toHaveLength(2);
    } finally {
      await host.stop();
    }
  }, 40_000);

  it('sends no BlobDeleted to a subscription that does not include it (BlobCreated by default)', async () => {
    await container().createIfNotExists();
    const host = await startHost({
      appRoot,
      port: 0,
      connectionString: azurite.connectionString,
      hostId: 'created-only',
      eventGridSubscriptions: [{ functionName: 'onBlobCreated', container: 'drop' }],
      logLevel: 'silent',
    });
    try {
      const blob = container().getBlockBlobClient('gone/created-only.txt');
      await blob.uploadData(Buffer.from('created only'));
      await waitFor(
        'its BlobCreated',
        async () => of(await calls(host), 'onBlobCreated', 'gone/created-only.txt')[0],
      );
      await blob.delete();
      await new Promise((r) => setTimeout(r, 2000));
      expect(of(await calls(host), 'onBlobDeleted', 'gone/created-only.txt')).toEqual([]);
    } finally {
      await host.stop();
    }
  }, 30_000);
});
