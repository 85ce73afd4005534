/** Upload clients that survive an app that is down for a while (they retry the POST). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { UploadTicket } from '../../../src/lib/uploads/createUpload';
import { upload } from '../../support/api';
import { SHARED } from '../../support/images';

const PHOTOS_DIR = path.join(SHARED, 'datasets/imagenet-photos-dev/images');

/** `count` distinct real photos (distinct bytes, so no result is reused from another). */
export function photos(count: number, skip = 0): { name: string; bytes: Buffer }[] {
  return readdirSync(PHOTOS_DIR)
    .sort()
    .slice(skip, skip + count)
    .map((name) => ({ name, bytes: readFileSync(path.join(PHOTOS_DIR, name)) }));
}

/** POST /api/uploads then PUT (test/support/api.ts), the POST retried while the app is down or answers 5xx. */
export async function resilientUpload(
  baseUrl: () => string,
  name: string,
  bytes: Buffer,
  timeoutMs = 60_000,
): Promise<UploadTicket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await upload(baseUrl(), name, bytes);
    } catch (err) {
      // A 4xx or a refused PUT is a real failure; a refused connection or a 5xx is the app being down.
      if (/answered 4|upload URL answered/.test((err as Error).message)) throw err;
    }
    if (Date.now() > deadline) throw new Error(`Could not upload ${name} within ${timeoutMs} ms.`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
