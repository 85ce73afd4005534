/**
 * Hostile requests and least privilege through the real stack: crafted uploads, names and
 * bodies get a clear 4xx or a `failed` result (never a 5xx, a hang or a write outside their
 * blob); SAS, CORS, function keys, logs and result ids give nothing away.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { UploadTicket } from '../../src/lib/uploads/createUpload';
import { putToSas, requestUpload, terminalResult, upload } from '../support/api';
import * as img from '../support/images';
import { useLocalStack } from '../support/stack';
import { DEFAULT_LIMITS } from '../../src/lib/decode/limits';
import { jsonLimitFor } from '../../src/lib/sync/base64Image';
import * as hostile from './support/hostileImages';

const EXTRA_ORIGIN = 'https://photos.example.org';
const stack = useLocalStack({ env: { UPLOAD_ALLOWED_ORIGINS: EXTRA_ORIGIN } });
const ROOT = path.resolve(__dirname, '../..');

let bait: Server;
const baitRequests: string[] = [];
let baitUrl = '';
beforeAll(async () => {
  bait = createServer((req, res) => (baitRequests.push(req.url ?? ''), res.end('x')));
  await new Promise<void>((r) => bait.listen(0, '127.0.0.1', r));
  baitUrl = `http://127.0.0.1:${(bait.address() as AddressInfo).port}`;
});
afterAll(() => bait.close());

describe('hostile uploads end failed (or classified) with the right code', () => {
  it.each([
    ['image_too_large', 'bomb.png', () => hostile.zeroPngBomb(20000, 20000)],
    ['image_too_large', 'liar.jpg', () => hostile.jpegDeclaring(60000, 60000)],
    ['corrupt_image', 'crc.png', hostile.pngWithBadCrc],
    ['unsupported_format', 'page.gif', async () => hostile.htmlThenGif(await hostile.gifHtmlPolyglot())],
    ['image_too_large', 'screen.gif', async () => hostile.gifDeclaring(65535, 65535)],
    ['unsupported_format', 'refs.png', async () => hostile.svgWithExternalRefs(baitUrl)],
    ['succeeded', 'polyglot.gif', hostile.gifHtmlPolyglot],
    ['succeeded', 'frames.gif', () => hostile.manyFrameGif(3000)],
    ['succeeded', 'exif.jpg', () => hostile.jpegWithHugeExif(16)],
  ] as const)(
    '%s: %s',
    async (expected, name, make) => {
      const ticket = await upload(stack.url, name, await make(), 'image/png');
      const result = await terminalResult(ticket.statusUrl, 30_000);
      if (expected === 'succeeded') expect(result.status).toBe('succeeded');
      else expect(result).toMatchObject({ status: 'failed', error: { code: expected } });
    },
    45_000,
  );

  it('never fetched anything the SVG referenced', () => {
    expect(baitRequests).toEqual([]);
  });

  it('classifies by bytes whatever content type the PUT claims (a JPEG sent as text/html)', async () => {
    const jpeg = await img.catAs('jpeg');
    const { json } = await requestUpload(stack.url, {
      fileName: 'x.jpg',
      contentType: 'image/jpeg',
      size: jpeg.length,
    });
    const ticket = json as UploadTicket;
    expect(
      await putToSas({ ...ticket, headers: { ...ticket.headers, 'content-type': 'text/html' } }, jpeg),
    ).toBe(201);
    const result = await terminalResult(ticket.statusUrl);
    expect(result).toMatchObject({ status: 'succeeded', source: { contentType: 'image/jpeg' } });
  });

  it('refuses a non-image content type in the upload request (415)', async () => {
    const { status, json } = await requestUpload(stack.url, {
      fileName: 'x.html',
      contentType: 'text/html',
      size: 10,
    });
    expect(status).toBe(415);
    expect(json).toMatchObject({ error: { code: 'unsupported_format' } });
  });
});

describe('file names are data, never paths', () => {
  it.each([
    ['../../../etc/passwd.jpg', 'passwd.jpg'],
    ['..\\..\\windows\\system.ini.jpg', 'system.ini.jpg'],
    ['a\u0000b\r\n\u001b[31mc.jpg', 'ab[31mc.jpg'], // control characters go, printable text stays
    ['猫 🐱 ‮gpj.exe', '猫 🐱 ‮gpj.exe'],
    ['x'.repeat(10_000) + '.jpg', 'x'.repeat(255)], // 10 000 characters, cut to 255,
  ])(
    'name %# is shown as its safe base name and the blob name stays the server-chosen id',
    async (fileName, shown) => {
      const { status, json } = await requestUpload(stack.url, {
        fileName,
        contentType: 'image/jpeg',
        size: 100,
      });
      expect(status).toBe(201);
      const ticket = json as UploadTicket;
      expect(new URL(ticket.uploadUrl).pathname).toBe(`/devstoreaccount1/uploads/${ticket.id}`);
      const result = await (await fetch(ticket.statusUrl)).json();
      expect(result.source.name).toBe(shown);
    },
  );

  it('answers 400 for a name that is nothing but path and control characters', async () => {
    const { status } = await requestUpload(stack.url, {
      fileName: '../..//\u0000',
      contentType: 'image/jpeg',
      size: 1,
    });
    expect(status).toBe(400);
  });
});

describe('malformed and oversized bodies, unknown ids', () => {
  const big = JSON.stringify({
    fileName: 'a.jpg',
    contentType: 'image/jpeg',
    size: 1,
    pad: 'x'.repeat(200_000),
  });
  it.each([
    ['POST', '/api/uploads', '{"fileName":', 400],
    ['POST', '/api/uploads', '[]', 400],
    ['POST', '/api/uploads', '{"fileName":1,"contentType":"image/jpeg","size":1}', 400],
    ['POST', '/api/uploads', '{"fileName":"a.jpg","contentType":"image/jpeg","size":-1}', 400],
    ['POST', '/api/uploads', '{"fileName":"a.jpg","contentType":"image/jpeg","size":1e300}', 400],
    ['POST', '/api/uploads', big, 413],
    ['POST', '/api/classify', '{"image":', 400],
    ['POST', '/api/classify', '{"image":12}', 400],
    ['POST', '/api/jobs', '{"container":', 400],
    ['POST', '/api/jobs', big, 413],
    ['POST', '/api/admin/replay-poison?max=-1', '', 400],
    ['GET', '/api/admin/failures?ids=abc', undefined, 400],
    // Without ?blob= the route searches: an unknown filter or a bad value is refused, never ignored.
    ['GET', '/api/results?lable=cat', undefined, 400],
    ['GET', '/api/results?minScore=2', undefined, 400],
    ['GET', '/api/results?continuationToken=forged', undefined, 400],
    ['GET', '/api/results?blob=../../etc/passwd', undefined, 400],
    ['GET', '/api/results?blob=uploads/not-a-uuid', undefined, 404],
    ['GET', '/api/results/..%2F..%2Fetc%2Fpasswd', undefined, 404],
    ['GET', '/api/results/' + 'z'.repeat(300), undefined, 404],
    ['DELETE', '/api/results/not-an-id', undefined, 404],
    ['GET', '/api/jobs/not-a-job', undefined, 404],
  ])('%s %s -> %s', async (method, route, body, expected) => {
    const res = await fetch(`${stack.url}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(expected);
    expect(await res.json()).toMatchObject({
      error: { code: expect.any(String), message: expect.any(String) },
    });
  });

  it('refuses at the host any body larger than the largest accepted request (a base64 image of the byte limit)', async () => {
    const cap = jsonLimitFor(DEFAULT_LIMITS.maxBytes);
    const res = await fetch(`${stack.url}/api/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array(cap + 1),
    });
    expect(res.status).toBe(413);
    // The host's answer, not a function's: no { error } body, the function never ran.
    expect(await res.text()).toBe('');
  });

  it('answers 404 for a near-miss of a real id (one hex digit changed)', async () => {
    const ticket = await upload(stack.url, 'real.jpg', await img.catAs('jpeg'));
    const last = ticket.id.at(-1)!;
    const near = ticket.id.slice(0, -1) + (last === '0' ? '1' : '0');
    expect((await fetch(`${stack.url}/api/results/${ticket.id}`)).status).toBe(200);
    expect((await fetch(`${stack.url}/api/results/${near}`)).status).toBe(404);
    expect(ticket.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('least privilege', () => {
  async function ticket(): Promise<UploadTicket> {
    return (await requestUpload(stack.url, { fileName: 'a.png', contentType: 'image/png', size: 10 }))
      .json as UploadTicket;
  }

  it('the upload SAS expires within 15 minutes and is refused by the queue and table services', async () => {
    const t = await ticket();
    const sas = new URL(t.uploadUrl).searchParams;
    const expires = Date.parse(sas.get('se')!);
    expect(expires - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect(Math.abs(Date.parse(t.expiresAt) - expires)).toBeLessThan(1000); // `se` has whole seconds
    const { queuePort, tablePort } = {
      queuePort: /QueueEndpoint=http:\/\/127\.0\.0\.1:(\d+)/.exec(stack.connectionString)![1],
      tablePort: /TableEndpoint=http:\/\/127\.0\.0\.1:(\d+)/.exec(stack.connectionString)![1],
    };
    const q = await fetch(`http://127.0.0.1:${queuePort}/devstoreaccount1/classify/messages?${sas}`);
    expect(q.status).toBe(403);
    const tb = await fetch(`http://127.0.0.1:${tablePort}/devstoreaccount1/results()?${sas}`, {
      headers: { accept: 'application/json' },
    });
    expect([401, 403]).toContain(tb.status);
  });

  it('the upload SAS cannot read the result JSON or write into the results container', async () => {
    const t = await ticket();
    const json = t.uploadUrl.replace(`/uploads/${t.id}`, `/results/uploads/${t.id}.json`);
    expect((await fetch(json)).status).toBe(403);
    expect(await putToSas({ ...t, uploadUrl: json }, Buffer.from('{}'))).toBe(403);
  });

  it('CORS admits the configured origins for PUT only, and no one else', async () => {
    const t = await ticket();
    const preflight = (origin: string, method: string) =>
      fetch(t.uploadUrl, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': method,
          'access-control-request-headers': 'content-type',
        },
      });
    const allowed = await preflight(EXTRA_ORIGIN, 'PUT');
    expect(allowed.headers.get('access-control-allow-origin')).toBe(EXTRA_ORIGIN);
    for (const method of ['GET', 'DELETE']) {
      expect((await preflight(EXTRA_ORIGIN, method)).headers.get('access-control-allow-origin')).toBeNull();
    }
    expect(
      (await preflight('https://photos.example.org.evil.example', 'PUT')).headers.get(
        'access-control-allow-origin',
      ),
    ).toBeNull();
    const api = await fetch(`${stack.url}/api/health`, { headers: { origin: 'http://evil.example' } });
    expect(api.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('declares authLevel "function" on every jobs and admin route and the lookup by blob name', () => {
    const dir = path.join(ROOT, 'src/functions');
    const levels = Object.fromEntries(
      readdirSync(dir)
        .filter((f) => /^(job|admin).*\.ts$/.test(f) || f === 'getResults.ts')
        .map((f) => {
          const text = readFileSync(path.join(dir, f), 'utf8');
          const http = /app\.http\([\s\S]*?\}\);?/.exec(text)?.[0];
          return [f, http ? (/authLevel:\s*'(\w+)'/.exec(http)?.[1] ?? 'missing') : 'not http'];
        }),
    );
    expect(levels['adminReplayPoison.ts']).toBe('function');
    expect(levels['adminFailures.ts']).toBe('function');
    expect(levels['getResults.ts']).toBe('function');
    for (const [file, level] of Object.entries(levels))
      if (level !== 'not http') expect([file, level]).toEqual([file, 'function']);
  });

  it('never writes a SAS signature or the account key to the logs', async () => {
    const t = await upload(stack.url, 'log.jpg', await img.catAs('jpeg'));
    await terminalResult(t.statusUrl);
    const key = /AccountKey=([^;]+)/.exec(stack.connectionString)![1];
    expect(stack.output.length).toBeGreaterThan(1000);
    expect(stack.output).not.toMatch(/sig=/);
    expect(stack.output).not.toContain(key);
    expect(stack.output).not.toMatch(/AccountKey/);
  });
});
