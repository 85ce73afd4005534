/**
 * The local host with HTTP streaming on (a fixture app that calls app.setup({ enableHttpStream:
 * true })), in a process of its own since the library's setup is process-wide: requests reach
 * the handler through the library's proxy server with their body, query, headers and route
 * params; a response body is passed on as it is written, not collected; a handler that throws
 * is a 500; a body over the limit is a 413.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(__dirname, '../../..');
let child: ChildProcess;
let url = '';

beforeAll(async () => {
  child = spawn(process.execPath, [path.join(__dirname, 'streaming/run.js')], {
    env: { ...process.env, PROJECT_ROOT: ROOT },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await Promise.race([
    (async () => {
      for await (const l of createInterface({ input: child.stdout! })) return [l];
      return [''];
    })(),
    new Promise<string[]>((_, reject) =>
      setTimeout(() => reject(new Error('host did not start')), 20_000).unref(),
    ),
  ]);
  url = (JSON.parse(line) as { url: string }).url;
}, 30_000);

afterAll(() => {
  child?.kill();
});

it('passes the body, query, headers and route params through the library proxy', async () => {
  const res = await fetch(`${url}/api/echo?q=1`, {
    method: 'POST',
    headers: { 'x-custom': 'abc', 'content-type': 'application/octet-stream' },
    body: new Uint8Array(900),
  });
  expect(res.status).toBe(201);
  expect(res.headers.get('x-echo')).toBe('yes');
  const body = (await res.json()) as { bytes: number; url: string; q: string; header: string };
  expect(body).toMatchObject({ bytes: 900, q: '1', header: 'abc' });
  expect(body.url).toBe(`${url.replace('localhost', new URL(url).hostname)}/api/echo?q=1`);
  const item = await fetch(`${url}/api/items/42?q=x`);
  expect(await item.json()).toEqual({ id: '42', q: 'x' });
});

it('streams a response body as it is written', async () => {
  const started = performance.now();
  const res = await fetch(`${url}/api/slow`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-length')).toBeNull();
  const reader = res.body!.getReader();
  const first = await reader.read();
  const firstAt = performance.now() - started;
  let text = new TextDecoder().decode(first.value);
  for (let r = await reader.read(); !r.done; r = await reader.read())
    text += new TextDecoder().decode(r.value);
  const endAt = performance.now() - started;
  expect(text.split('\n').filter(Boolean)).toHaveLength(10);
  // The first chunk is written after 100 ms and the last after about a second: streamed, they
  // arrive that far apart (a buffering host hands over the whole body at once).
  expect(endAt - firstAt).toBeGreaterThan(500);
  expect(endAt).toBeGreaterThan(900);
});

it('answers 500 when the handler throws, and 413 for a body over the limit', async () => {
  expect((await fetch(`${url}/api/boom`)).status).toBe(500);
  const big = await fetch(`${url}/api/echo`, { method: 'POST', body: new Uint8Array(5000) });
  expect(big.status).toBe(413);
  // The host is still serving.
  expect((await fetch(`${url}/api/items/1`)).status).toBe(200);
});
