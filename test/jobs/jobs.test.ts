/**
 * Bulk jobs through the local host on real Azurite: a job over 200 dev photos with exact
 * counts and both export formats, bad files mixed in, reuse by content, redelivered messages,
 * maxFailures, cancel, dry runs and every bad request.
 */
import type { JobView } from '../../src/lib/jobs/job';
import { csvHeader } from '../../src/lib/results/csv';
import { requestUpload, terminalResult, upload } from '../support/api';
import * as img from '../support/images';
import { eventually, useLocalStack } from '../support/stack';
import {
  devFiles,
  devPhotos,
  getJobView,
  jobEnded,
  jobExported,
  jobResults,
  parseJsonl,
  postJob,
  resultRowsOfJob,
  seed,
  startJob,
  table,
} from './jobApi';

const stack = useLocalStack();
const DEV_COUNT = 200;
let devJob: JobView;

const counts = (job: JobView) => ({
  status: job.status,
  total: job.total,
  succeeded: job.succeeded,
  failed: job.failed,
  pending: job.pending,
});

async function queueDrained(name: string): Promise<void> {
  await eventually(`queue ${name} to drain`, async () => {
    const props = await stack.queues().getQueueClient(name).getProperties();
    return props.approximateMessagesCount === 0 ? true : undefined;
  });
}

describe('a job over a container prefix', () => {
  beforeAll(async () => {
    await seed(stack, 'photos', 'dev/', devPhotos(DEV_COUNT));
  }, 60_000);

  it('classifies 200 dev photos in pages with exact counts, and exports JSONL and CSV', async () => {
    const { status, json } = await postJob(stack, { container: 'photos', prefix: 'dev/', pageSize: 50 });
    expect(status).toBe(202);
    expect(json.statusUrl).toBe(`${stack.url}/api/jobs/${json.id as string}`);
    devJob = await jobEnded(stack, json.id as string, 120_000);
    expect(counts(devJob)).toEqual({
      status: 'succeeded',
      total: 200,
      succeeded: 200,
      failed: 0,
      pending: 0,
    });
    expect(devJob.completedAt! >= devJob.startedAt).toBe(true);

    const results = parseJsonl(await jobResults(stack, devJob.id, 'jsonl'));
    expect(results).toHaveLength(DEV_COUNT);
    expect(new Set(results.map((r) => r.id)).size).toBe(DEV_COUNT);
    expect(results.map((r) => r.source.name).sort()).toEqual(devFiles(DEV_COUNT).map((f) => `dev/${f}`));
    expect(
      results.every((r) => r.status === 'succeeded' && r.jobId === devJob.id && r.predictions!.length === 5),
    ).toBe(true);

    const csv = await jobResults(stack, devJob.id, 'csv');
    expect(csv.startsWith('name,status,label,score,errorCode,predictions\r\n')).toBe(true);
    expect(csv.startsWith(csvHeader())).toBe(true);
    expect(csv.trimEnd().split('\r\n')).toHaveLength(DEV_COUNT + 1);

    // Each result is also readable by id, and the results table holds exactly one row per image.
    expect((await terminalResult(`${stack.url}/api/results/${results[0].id}`)).jobId).toBe(devJob.id);
    const rows = await resultRowsOfJob(stack, devJob.id);
    expect([...rows.values()]).toEqual(Array(DEV_COUNT).fill('succeeded'));

    const exported = await jobExported(stack, devJob.id);
    expect(exported.exports).toEqual({ jsonl: `jobs/${devJob.id}.jsonl`, csv: `jobs/${devJob.id}.csv` });
    const container = stack.blobs().getContainerClient('results');
    const jsonlBlob = (
      await container.getBlobClient(`jobs/${devJob.id}.jsonl`).downloadToBuffer()
    ).toString();
    const csvBlob = (await container.getBlobClient(`jobs/${devJob.id}.csv`).downloadToBuffer()).toString();
    expect(
      parseJsonl(jsonlBlob)
        .map((r) => r.id)
        .sort(),
    ).toEqual(results.map((r) => r.id).sort());
    expect(csvBlob).toBe(csv);
  }, 150_000);

  it('does not count a redelivered classify message or listing page twice', async () => {
    const [first] = parseJsonl(await jobResults(stack, devJob.id, 'jsonl'));
    const blob = first.source.name;
    const { etag } = await stack.blobs().getContainerClient('photos').getBlobClient(blob).getProperties();
    const send = (queue: string, body: unknown) =>
      stack
        .queues()
        .getQueueClient(queue)
        .sendMessage(Buffer.from(JSON.stringify(body)).toString('base64'));
    // The same classify message twice: a redelivery and a duplicate.
    const duplicate = { id: first.id, container: 'photos', blob, etag, jobId: devJob.id };
    for (let i = 0; i < 2; i++)
      await send('classify', { ...duplicate, enqueuedAt: new Date().toISOString() });
    await send('jobs', { kind: 'list', jobId: devJob.id, page: 1 });
    await queueDrained('classify');
    await queueDrained('jobs');
    await new Promise((r) => setTimeout(r, 1500));
    expect(counts(await getJobView(stack, devJob.id))).toEqual(counts(devJob));
    expect(parseJsonl(await jobResults(stack, devJob.id, 'jsonl'))).toHaveLength(DEV_COUNT);
    expect((await resultRowsOfJob(stack, devJob.id)).size).toBe(DEV_COUNT);
    expect(stack.output).toContain(`result ${first.id} (photos/${blob}) -> duplicate`);
  }, 60_000);

  it('counts bad files as failed with their error codes, and a rerun reuses every prediction', async () => {
    const files = devPhotos(10);
    files.set('notes.txt', Buffer.from('not an image at all\n'));
    files.set('half.jpg', await img.truncatedJpeg());
    await seed(stack, 'photos', 'mixed/', files);

    const job = await jobEnded(stack, await startJob(stack, { container: 'photos', prefix: 'mixed/' }));
    expect(counts(job)).toEqual({ status: 'succeeded', total: 12, succeeded: 10, failed: 2, pending: 0 });
    const byName = new Map(
      parseJsonl(await jobResults(stack, job.id, 'jsonl')).map((r) => [r.source.name, r]),
    );
    expect(byName.get('mixed/notes.txt')).toMatchObject({
      status: 'failed',
      error: { code: 'unsupported_format' },
    });
    expect(byName.get('mixed/half.jpg')).toMatchObject({
      status: 'failed',
      error: { code: 'corrupt_image' },
    });
    const csv = await jobResults(stack, job.id, 'csv');
    expect(csv).toContain('mixed/notes.txt,failed,,,unsupported_format,\r\n');

    // The same photos were classified by the 200-photo job already: all ten reuse it.
    expect(job.reused).toBe(10);
    const rerun = await jobEnded(stack, await startJob(stack, { container: 'photos', prefix: 'mixed/' }));
    expect(counts(rerun)).toEqual(counts(job));
    const again = parseJsonl(await jobResults(stack, rerun.id, 'jsonl'));
    expect(again.filter((r) => r.reused)).toHaveLength(10);
    expect(new Set(again.map((r) => r.id)).size).toBe(12);
    expect(again.some((r) => byName.get(r.source.name)!.id === r.id)).toBe(false); // separate results
    const photo = again.find((r) => r.source.name.endsWith('.JPEG'))!;
    expect(photo.predictions).toEqual(byName.get(photo.source.name)!.predictions);
  }, 90_000);

  it('never reuses one anonymous upload for another: the second is classified afresh', async () => {
    // Reuse would tell an anonymous uploader that someone else sent the same bytes;
    // jobs, whose owner holds the key, reuse (the rerun test above).
    const bytes = await img.catAs('webp');
    const first = await terminalResult((await upload(stack.url, 'cat.webp', bytes, 'image/webp')).statusUrl);
    const second = await terminalResult(
      (await upload(stack.url, 'again.webp', bytes, 'image/webp')).statusUrl,
    );
    expect(first.reused).toBeUndefined();
    expect(second).toMatchObject({
      status: 'succeeded',
      source: { name: 'again.webp', sha256: first.source.sha256 },
    });
    expect(second.reused).toBeUndefined();
    expect(second.predictions).toEqual(first.predictions);
    expect(second.timings.inferMs).toBeGreaterThan(0);
    const index = table(stack, 'content');
    let rows = 0;
    for await (const row of index.listEntities({
      queryOptions: { filter: `PartitionKey eq '${first.source.sha256}'` },
    }))
      rows += row ? 1 : 0;
    expect(rows).toBe(0);
  }, 60_000);

  it('stops with status failed once failures exceed maxFailures, skipping the rest', async () => {
    const bad = new Map<string, Buffer>();
    for (let i = 0; i < 40; i++)
      bad.set(`junk-${String(i).padStart(2, '0')}.txt`, Buffer.from(`junk ${i}\n`));
    await seed(stack, 'photos', 'junk/', bad);
    const job = await jobEnded(
      stack,
      await startJob(stack, { container: 'photos', prefix: 'junk/', maxFailures: 2, pageSize: 5 }),
    );
    expect(job.status).toBe('failed');
    expect(job.failed).toBeGreaterThan(2);
    expect(job.total).toBeLessThan(40); // listing stopped
    expect(job.skipped).toBe(job.total - job.succeeded - job.failed);
    await queueDrained('classify');
    const settled = await getJobView(stack, job.id);
    expect((await resultRowsOfJob(stack, job.id)).size).toBe(settled.succeeded + settled.failed);
  }, 60_000);

  it('cancels what has not started, and counts what had', async () => {
    const id = await startJob(stack, { container: 'photos', prefix: 'dev/', pageSize: 10 });
    const res = await fetch(`${stack.url}/api/jobs/${id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as JobView).status).toBe('cancelled');
    await queueDrained('jobs');
    await queueDrained('classify');
    await new Promise((r) => setTimeout(r, 1000));
    const job = await getJobView(stack, id);
    expect(job.status).toBe('cancelled');
    expect(job.total).toBeLessThan(DEV_COUNT);
    expect(job.pending).toBe(0);
    expect(job.succeeded + job.failed + job.skipped).toBe(job.total);
    expect((await resultRowsOfJob(stack, id)).size).toBe(job.succeeded + job.failed);
    // Cancelling again changes nothing; an ended job stays as it ended.
    const again = await fetch(`${stack.url}/api/jobs/${devJob.id}`, { method: 'DELETE' });
    expect(((await again.json()) as JobView).status).toBe('succeeded');
  }, 60_000);

  it('counts only, for a dry run', async () => {
    const job = await jobEnded(
      stack,
      await startJob(stack, { container: 'photos', prefix: 'dev/', dryRun: true, pageSize: 64 }),
    );
    expect(counts(job)).toEqual({ status: 'succeeded', total: 200, succeeded: 0, failed: 0, pending: 0 });
    expect((await resultRowsOfJob(stack, job.id)).size).toBe(0);
  });
});

describe('bad requests', () => {
  it.each([
    ['malformed JSON', '{"container":', 'not valid JSON'],
    ['a missing container', { prefix: 'x/' }, '"container" must be a container name'],
    ['an invalid container name', { container: 'Bad_Name' }, '"container" must be a container name'],
    [
      'a negative maxFailures',
      { container: 'photos', maxFailures: -1 },
      'Expected an integer of at least 0 for "maxFailures" but received -1',
    ],
    ['a string dryRun', { container: 'photos', dryRun: 'yes' }, '"dryRun" must be true or false'],
    ['an upload job without total', { upload: true }, 'needs "total"'],
  ])('answers 400 for %s', async (_what, body, gist) => {
    const { status, json } = await postJob(stack, body);
    expect(status).toBe(400);
    expect(json.error).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining(gist) as string,
    });
  });

  it('answers 404 for a container that does not exist, and for unknown jobs', async () => {
    const { status, json } = await postJob(stack, { container: 'no-such-container', prefix: '' });
    expect(status).toBe(404);
    expect(json.error).toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('no-such-container') as string,
    });
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', unknown],
      ['DELETE', unknown],
      ['GET', `${unknown}/results`],
      ['GET', 'not-a-job'],
    ]) {
      const res = await fetch(`${stack.url}/api/jobs/${path}`, { method });
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
  });

  it('answers 400 for an unknown results format', async () => {
    const res = await fetch(`${stack.url}/api/jobs/${devJob.id}/results?format=xml`);
    expect(res.status).toBe(400);
  });

  it('takes uploads only for a running upload job', async () => {
    const body = { fileName: 'a.jpg', contentType: 'image/jpeg', size: 10 };
    expect(await requestUpload(stack.url, { ...body, jobId: 'nope' })).toMatchObject({ status: 400 });
    expect(
      await requestUpload(stack.url, { ...body, jobId: '00000000-0000-4000-8000-000000000000' }),
    ).toMatchObject({
      status: 404,
      json: { error: { code: 'not_found' } },
    });
    expect(await requestUpload(stack.url, { ...body, jobId: devJob.id })).toMatchObject({
      status: 400,
      json: { error: { message: expect.stringContaining('only jobs created with') as string } },
    });
    const upJob = await startJob(stack, { upload: true, total: 1 });
    await fetch(`${stack.url}/api/jobs/${upJob}`, { method: 'DELETE' });
    expect(await requestUpload(stack.url, { ...body, jobId: upJob })).toMatchObject({
      status: 400,
      json: { error: { message: expect.stringContaining('is cancelled') as string } },
    });
  });
});
