/** Small clients for the app's HTTP API and the SAS upload, as a browser or script uses them. */
import type { ClassificationResult } from '../../src/lib/results/result';
import type { UploadTicket } from '../../src/lib/uploads/createUpload';
import { eventually } from './stack';

export async function requestUpload(
  baseUrl: string,
  body: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${baseUrl}/api/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

export async function putToSas(
  ticket: Pick<UploadTicket, 'uploadUrl' | 'headers'>,
  bytes: Buffer,
): Promise<number> {
  const res = await fetch(ticket.uploadUrl, {
    method: 'PUT',
    headers: ticket.headers,
    body: new Uint8Array(bytes),
  });
  return res.status;
}

/** POST /api/uploads then PUT the bytes; returns the ticket. `declaredSize` lets a test lie about the size. */
export async function upload(
  baseUrl: string,
  name: string,
  bytes: Buffer,
  contentType = 'image/jpeg',
  declaredSize = bytes.length || 1,
): Promise<UploadTicket> {
  const { status, json } = await requestUpload(baseUrl, { fileName: name, contentType, size: declaredSize });
  if (status !== 201) throw new Error(`POST /api/uploads answered ${status}: ${JSON.stringify(json)}`);
  const ticket = json as UploadTicket;
  const put = await putToSas(ticket, bytes);
  if (put !== 201) throw new Error(`PUT to the upload URL answered ${put}`);
  return ticket;
}

export async function getJson(url: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url);
  return { status: res.status, json: await res.json() };
}

/** Polls a result URL until it is terminal. */
export function terminalResult(url: string, timeoutMs = 30_000): Promise<ClassificationResult> {
  return eventually(
    `a terminal result at ${url}`,
    async () => {
      const { status, json } = await getJson(url);
      const result = json as ClassificationResult;
      return status === 200 && (result.status === 'succeeded' || result.status === 'failed')
        ? result
        : undefined;
    },
    timeoutMs,
  );
}
