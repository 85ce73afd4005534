/** Least privilege of the upload URL: create/write of one blob name, nothing else, for minutes. */
import type { UploadTicket } from '../../src/lib/uploads/createUpload';
import { putToSas, requestUpload } from '../support/api';
import * as img from '../support/images';
import { useLocalStack } from '../support/stack';

const stack = useLocalStack();

async function ticket(): Promise<UploadTicket> {
  return (await requestUpload(stack.url, { fileName: 'cat.png', contentType: 'image/png', size: 1000 }))
    .json as UploadTicket;
}

describe('upload SAS', () => {
  it('grants create only: one PUT, no overwrite, no read, no delete', async () => {
    const t = await ticket();
    const sas = new URL(t.uploadUrl).searchParams;
    expect(sas.get('sp')).toBe('c');
    expect(sas.get('sr')).toBe('b');
    expect(await putToSas(t, img.photo(img.CAT))).toBe(201);
    expect(await putToSas(t, img.photo('coffee.png'))).toBeGreaterThanOrEqual(400);
    expect((await fetch(t.uploadUrl)).status).toBe(403);
    expect((await fetch(t.uploadUrl, { method: 'DELETE' })).status).toBe(403);
  });

  it('cannot list the container', async () => {
    const t = await ticket();
    const url = new URL(t.uploadUrl);
    url.pathname = url.pathname.replace(/\/[^/]+$/, '');
    url.searchParams.set('restype', 'container');
    url.searchParams.set('comp', 'list');
    expect((await fetch(url)).status).toBe(403);
  });

  it('cannot write any other blob name', async () => {
    const t = await ticket();
    const other = t.uploadUrl.replace(t.id, '00000000-0000-4000-8000-000000000000');
    expect(await putToSas({ ...t, uploadUrl: other }, img.photo(img.CAT))).toBe(403);
    const otherContainer = t.uploadUrl.replace('/uploads/', '/images/');
    expect(await putToSas({ ...t, uploadUrl: otherContainer }, img.photo(img.CAT))).toBe(403);
  });

  it('stops working once expired', async () => {
    const { url, expiresOn } = await stack
      .services()
      .uploadSigner.sign('uploads', 'expiring.png', { expiresInMinutes: 6 / 60 }); // `se` has whole seconds
    const headers = { 'x-ms-blob-type': 'BlockBlob' as const, 'content-type': 'image/png' };
    expect(await putToSas({ uploadUrl: url, headers }, img.photo(img.CAT))).toBe(201);
    await new Promise((r) => setTimeout(r, expiresOn.getTime() - Date.now() + 1500));
    expect(await putToSas({ uploadUrl: url, headers }, img.photo(img.CAT))).toBe(403);
  });

  it('lets the page origin PUT cross-origin (CORS preflight)', async () => {
    const t = await ticket();
    const origin = new URL(stack.url).origin;
    const res = await fetch(t.uploadUrl, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type,x-ms-blob-type',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const stranger = await fetch(t.uploadUrl, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'PUT' },
    });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });
});
