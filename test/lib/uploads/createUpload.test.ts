/**
 * createUpload against a real Azurite, without the app: it records an `awaiting_upload` row for
 * a fresh random id, and the SAS it hands out lets a PUT create exactly `uploads/<id>` with the
 * bytes and type sent, once (no overwrite, no read, no other name). An unknown model and a job
 * that cannot take uploads are refused before anything is written.
 */
import { newJob, type Job } from '../../../src/lib/jobs/job';
import { DEFAULT_MODEL_ID } from '../../../src/lib/model/manifest';
import { isUploadId } from '../../../src/lib/results/ids';
import { storageNames } from '../../../src/lib/storage/names';
import { createUpload } from '../../../src/lib/uploads/createUpload';
import type { UploadRequest } from '../../../src/lib/uploads/uploadRequest';
import { putToSas } from '../../support/api';
import * as img from '../../support/images';
import { useServices } from '../../support/services';

const env = useServices();
const BASE = 'https://classifier.example';
const cat = img.photo(img.CAT);
const request: UploadRequest = { fileName: 'cat.png', contentType: 'image/png', size: cat.length };
const uploads = () => env.services.storage.blobs.getContainerClient(storageNames.uploadsContainer);

async function awaitingRows(): Promise<number> {
  let count = 0;
  for await (const page of env.services.results.list({ filter: "status eq 'awaiting_upload'" }))
    count += page.length;
  return count;
}

async function job(extra: Partial<Job>): Promise<Job> {
  const created = newJob({ kind: 'upload', total: 2, listingComplete: true, ...extra });
  await env.services.jobs.create(created);
  return created;
}

describe('createUpload', () => {
  it('records an awaiting_upload row for a fresh random id, with the name, size, type and model', async () => {
    const ticket = await createUpload(env.services, request, { baseUrl: BASE });
    expect(isUploadId(ticket.id)).toBe(true);
    const record = await env.services.results.get(ticket.id);
    expect(record).toMatchObject({
      result: {
        id: ticket.id,
        status: 'awaiting_upload',
        source: { name: 'cat.png', bytes: cat.length, contentType: 'image/png' },
        model: { id: DEFAULT_MODEL_ID, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
      },
      blob: { container: 'uploads', name: ticket.id },
    });
    expect(record!.result.jobId).toBeUndefined();
    const second = await createUpload(env.services, request, { baseUrl: BASE });
    expect(second.id).not.toBe(ticket.id);
  });

  it('answers a PUT ticket for uploads/<id> whose status URL is absolute on the base URL', async () => {
    const before = Date.now();
    const ticket = await createUpload(env.services, request, { baseUrl: BASE });
    expect(ticket).toMatchObject({
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'image/png' },
      statusUrl: `${BASE}/api/results/${ticket.id}`,
    });
    const url = new URL(ticket.uploadUrl);
    expect(url.pathname).toMatch(new RegExp(`/uploads/${ticket.id}$`));
    expect(url.searchParams.get('sp')).toBe('c');
    // Ten minutes by default, fifteen at most whatever is asked.
    const expiresIn = (t: { expiresAt: string }) => (Date.parse(t.expiresAt) - before) / 60_000;
    expect(expiresIn(ticket)).toBeCloseTo(10, 0);
    const long = await createUpload(env.services, request, { baseUrl: BASE, expiresInMinutes: 60 });
    expect(expiresIn(long)).toBeCloseTo(15, 0);
  });

  it('hands out a SAS that creates exactly that blob with the bytes sent, once', async () => {
    const ticket = await createUpload(env.services, request, { baseUrl: BASE });
    expect(await putToSas(ticket, cat)).toBe(201);
    const blob = uploads().getBlobClient(ticket.id);
    expect(await blob.downloadToBuffer()).toEqual(cat);
    expect((await blob.getProperties()).contentType).toBe('image/png');
    // Create only: overwriting needs the write permission the SAS lacks (403), and so does reading.
    expect(await putToSas(ticket, img.photo('coffee.png'))).toBe(403);
    expect(await blob.downloadToBuffer()).toEqual(cat);
    expect((await fetch(ticket.uploadUrl)).status).toBe(403);
  });

  it("hands out a SAS that no other blob name accepts, not even another upload's", async () => {
    const ticket = await createUpload(env.services, request, { baseUrl: BASE });
    const other = await createUpload(env.services, request, { baseUrl: BASE });
    const elsewhere = ticket.uploadUrl.replace(ticket.id, other.id);
    expect(await putToSas({ ...ticket, uploadUrl: elsewhere }, cat)).toBe(403);
    expect(await uploads().getBlobClient(other.id).exists()).toBe(false);
    const images = ticket.uploadUrl.replace('/uploads/', '/images/');
    expect(await putToSas({ ...ticket, uploadUrl: images }, cat)).toBe(403);
  });

  it('refuses an unknown model as bad_request, naming the known ones, before writing a row', async () => {
    const rows = await awaitingRows();
    await expect(
      createUpload(env.services, { ...request, model: 'no-such-model' }, { baseUrl: BASE }),
    ).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining(DEFAULT_MODEL_ID) as unknown,
    });
    expect(await awaitingRows()).toBe(rows);
  });

  it("joins a running upload job, and classifies with the job's model unless the request names one", async () => {
    const running = await job({ model: DEFAULT_MODEL_ID });
    const ticket = await createUpload(env.services, { ...request, jobId: running.id }, { baseUrl: BASE });
    expect((await env.services.results.get(ticket.id))!.result).toMatchObject({
      jobId: running.id,
      model: { id: DEFAULT_MODEL_ID },
    });
  });

  it('refuses a job that does not exist (not_found), a listing job, or one that has ended (bad_request)', async () => {
    const rows = await awaitingRows();
    const ask = (jobId: string) => createUpload(env.services, { ...request, jobId }, { baseUrl: BASE });
    await expect(ask('6f9619ff-8b86-4d01-b42d-00c04fc964ff')).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/was not found; create it with POST \/api\/jobs/) as unknown,
    });
    const listing = await job({ kind: 'listing', container: 'images' });
    await expect(ask(listing.id)).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/only jobs created with \{ "upload": true \} take uploads/) as unknown,
    });
    const ended = await job({ status: 'succeeded' });
    await expect(ask(ended.id)).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/is succeeded and takes no more uploads/) as unknown,
    });
    expect(await awaitingRows()).toBe(rows);
  });
});
