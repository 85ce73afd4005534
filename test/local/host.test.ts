// The local host against a real Azurite, running the fixture app in test/local/fixture.
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import * as path from 'path';
import { startHost, type RunningHost } from '../../src/local/host';
import { useAzurite } from '../support/azurite';

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
  timer?: { isPastDue: boolean; schedule: { adjustForDST: boolean } };
}

async function start(): Promise<RunningHost> {
  return startHost({
    appRoot,
    port: 0,
    connectionString: azurite.connectionString,
    hostId: 'fixture-host',
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

  it('loads every function of package.json main', () => {
    expect(host.functions.sort()).toEqual([
      'boom',
      'calls',
      'echo',
      'getItem',
      'onBlob',
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

describe('local host blob trigger (source EventGrid)', () => {
  it('delivers each new blob once, as a Buffer, and not again after a restart', async () => {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'drop',
    );
    await container.createIfNotExists();
    const onBlob = (all: Call[], name: string) => all.filter((c) => c.fn === 'onBlob' && c.name === name);

    let host = await start();
    await container.getBlockBlobClient('a/first.txt').uploadData(Buffer.from('first'));
    const first = await waitFor('first.txt', async () => onBlob(await calls(host), 'a/first.txt')[0]);
    expect(first).toMatchObject({ blobTrigger: 'drop/a/first.txt', size: 5, isBuffer: true, text: 'first' });
    await host.stop();

    // Written while the host is down: delivered after the restart, like a pending Event Grid event.
    await container.getBlockBlobClient('second.txt').uploadData(Buffer.from('second'));
    host = await start();
    try {
      await waitFor('second.txt', async () => onBlob(await calls(host), 'second.txt')[0]);
      await new Promise((r) => setTimeout(r, 1500));
      const all = await calls(host);
      expect(onBlob(all, 'a/first.txt')).toHaveLength(1);
      expect(onBlob(all, 'second.txt')).toHaveLength(1);

      // A new version of a blob (new ETag) is a new event.
      await container.getBlockBlobClient('second.txt').uploadData(Buffer.from('second, v2'));
      await waitFor('second.txt v2', async () => onBlob(await calls(host), 'second.txt')[1]);
    } finally {
      await host.stop();
    }
  });

  it('retries a failing blob and then moves it to webjobs-blobtrigger-poison', async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const host = await start();
    try {
      await service.getContainerClient('drop').getBlockBlobClient('bad.txt').uploadData(Buffer.from('fail'));
      const poison = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(
        'webjobs-blobtrigger-poison',
      );
      await waitFor('the blob poison message', async () => {
        if (!(await poison.exists())) return undefined;
        const r = await poison.peekMessages();
        return r.peekedMessageItems[0];
      });
      const attempts = (await calls(host)).filter((c) => c.fn === 'onBlob' && c.name === 'bad.txt');
      expect(attempts).toHaveLength(3);
    } finally {
      await host.stop();
    }
  });
});
