/**
 * The upload path end to end on the local stack: POST /api/uploads, PUT to the SAS URL, blob
 * trigger, queue, worker, result over HTTP, in Table storage and as a JSON blob.
 */
import { TableClient } from '@azure/data-tables';
import type { ClassificationResult } from '../../src/lib/results/result';
import type { UploadTicket } from '../../src/lib/uploads/createUpload';
import { getJson, putToSas, requestUpload, terminalResult, upload } from '../support/api';
import * as img from '../support/images';
import { eventually, useLocalStack } from '../support/stack';

const stack = useLocalStack();

describe('upload flow', () => {
  it('classifies an uploaded photo and serves the result from the status URL', async () => {
    const bytes = img.photo(img.CAT);
    const ticket = await upload(stack.url, 'chelsea.png', bytes, 'image/png');
    expect(ticket).toMatchObject({
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'image/png' },
    });
    expect(ticket.statusUrl).toBe(`${stack.url}/api/results/${ticket.id}`);
    expect(Date.parse(ticket.expiresAt) - Date.now()).toBeLessThanOrEqual(10 * 60 * 1000);

    const result = await terminalResult(ticket.statusUrl);
    expect(result).toMatchObject({
      id: ticket.id,
      status: 'succeeded',
      source: { name: 'chelsea.png', bytes: bytes.length, contentType: 'image/png', width: 451, height: 300 },
      model: { id: 'mobilenetv2-12-int8' },
    });
    expect(img.CAT_CLASSES).toContain(result.predictions![0].classIndex);
    expect(result.predictions).toHaveLength(5);
    expect(result.timings.totalMs).toBeGreaterThan(0);

    // The same object is the JSON blob, and the table row holds it.
    // Written just after the row turns terminal.
    const client = stack.blobs().getContainerClient('results').getBlobClient(`uploads/${ticket.id}.json`);
    const blob = await eventually('the JSON blob', () => client.downloadToBuffer().catch(() => undefined));
    expect(JSON.parse(blob.toString())).toEqual(result);
    const row = await TableClient.fromConnectionString(stack.connectionString, 'results', {
      allowInsecureConnection: true,
    }).getEntity(ticket.id, 'result');
    expect(row.status).toBe('succeeded');
  });

  it('answers awaiting_upload before the bytes arrive', async () => {
    const { json } = await requestUpload(stack.url, {
      fileName: 'later.jpg',
      contentType: 'image/jpeg',
      size: 1000,
    });
    const { status, json: result } = await getJson((json as UploadTicket).statusUrl);
    expect(status).toBe(200);
    expect((result as ClassificationResult).status).toBe('awaiting_upload');
  });

  it.each([
    ['malformed JSON', '{"fileName": ', 400, 'bad_request'],
    ['a JSON array', '[]', 400, 'bad_request'],
    ['a missing size', { fileName: 'a.jpg', contentType: 'image/jpeg' }, 400, 'bad_request'],
    ['a size of 0', { fileName: 'a.jpg', contentType: 'image/jpeg', size: 0 }, 400, 'empty_file'],
    ['a fractional size', { fileName: 'a.jpg', contentType: 'image/jpeg', size: 1.5 }, 400, 'bad_request'],
    [
      'an oversize file',
      { fileName: 'a.jpg', contentType: 'image/jpeg', size: 20 * 1024 * 1024 + 1 },
      413,
      'file_too_large',
    ],
    ['an SVG', { fileName: 'a.svg', contentType: 'image/svg+xml', size: 100 }, 415, 'unsupported_format'],
    ['text', { fileName: 'a.txt', contentType: 'text/plain', size: 100 }, 415, 'unsupported_format'],
    [
      'a name that is only a path',
      { fileName: '../../', contentType: 'image/png', size: 100 },
      400,
      'bad_request',
    ],
  ])('refuses %s', async (_what, body, status, code) => {
    const answer = await requestUpload(stack.url, body);
    expect(answer.status).toBe(status);
    expect(answer.json).toEqual({ error: { code, message: expect.any(String) as string } });
  });

  it('keeps only the base name of a path-like file name, without control characters', async () => {
    const { status, json } = await requestUpload(stack.url, {
      fileName: '../../etc/pass\u0000wd\u0007.jpg',
      contentType: 'image/jpeg',
      size: 10,
    });
    expect(status).toBe(201);
    const result = (await getJson((json as UploadTicket).statusUrl)).json as ClassificationResult;
    expect(result.source.name).toBe('passwd.jpg');
  });

  it('answers 404 for unknown and malformed result ids', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id', "'; DROP TABLE results"]) {
      const { status, json } = await getJson(`${stack.url}/api/results/${encodeURIComponent(id)}`);
      expect(status).toBe(404);
      expect(json).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('reports health with the model and storage', async () => {
    const { status, json } = await getJson(`${stack.url}/api/health`);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      status: 'ok',
      model: { status: 'ok', id: 'mobilenetv2-12-int8' },
      storage: { status: 'ok' },
    });
  });

  it('serves the upload page at /', async () => {
    const res = await fetch(`${stack.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('<html');
  });

  it('uploads straight to the SAS URL without reading back', async () => {
    const ticket = (await requestUpload(stack.url, { fileName: 'x.png', contentType: 'image/png', size: 10 }))
      .json as UploadTicket;
    expect(await putToSas(ticket, img.photo(img.CAT))).toBe(201);
    expect((await fetch(ticket.uploadUrl)).status).toBe(403);
  });
});
