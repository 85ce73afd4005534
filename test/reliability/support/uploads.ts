/** Upload clients that survive an app that is down for a while (they retry the POST). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { UploadTicket } from '../../../src/lib/uploads/createUpload';
import { SHARED } from '../../support/images';

const PHOTOS_DIR = path.join(SHARED, 'datasets/imagenet-photos-dev/images');

/** `count` distinct real photos (distinct bytes, so no result is reused from another). */
export function photos(count: number, skip = 0): { name: string; bytes: Buffer }[] {
  return readdirSync(PHOTOS_DIR)
    .sort()
    .slice(skip, skip + count)
    .map((name) => ({ name, bytes: readFileSync(path.join(PHOTOS_DIR, name)) }));
}

/** POST /api/uploads (retried while the app is down or answers 5xx) then PUT to the SAS URL. */
export async function resilientUpload(
  baseUrl: () => string,
  name: string,
  bytes: Buffer,
  timeoutMs = 60_000,
): Promise<UploadTicket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${baseUrl()}/api/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fileName: name, contentType: 'image/jpeg', size: bytes.length }),
      });
      if (res.status === 201) {
        const ticket = (await res.json()) as UploadTicket;
        const put = await fetch(ticket.uploadUrl, {
          method: 'PUT',
          headers: ticket.headers,
          body: new Uint8Array(bytes),
        });
        if (put.status !== 201) throw new Error(`PUT answered ${put.status}`);
        return ticket;
      }
      if (res.status < 500) throw new Error(`POST /api/uploads answered ${res.status}`);
    } catch (err) {
      if (/answered 4|PUT answered/.test((err as Error).message)) throw err;
    }
    if (Date.now() > deadline) throw new Error(`Could not upload ${name} within ${timeoutMs} ms.`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
