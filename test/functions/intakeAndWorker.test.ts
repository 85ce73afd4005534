/**
 * The intake and worker rules that need the whole app: an upload larger than it
 * announced fails on the event's facts, a job never rewrites the drop folder's result of the
 * same blob, and jobs stay out of the app's own containers. The rules that need no host are
 * tested on their own in test/lib/intake and test/lib/worker.
 */
import { blobResultId } from '../../src/lib/results/ids';
import { TERMINAL_STATUSES as TERMINAL } from '../../src/lib/results/result';
import { deleteResult } from '../../src/lib/retention/deleteResult';
import { terminalResult, upload } from '../support/api';
import * as img from '../support/images';
import { eventually, useLocalStack } from '../support/stack';
import { jobEnded, jobResults, parseJsonl, startJob } from '../jobs/jobApi';

const stack = useLocalStack();

it('fails an upload larger than announced with file_too_large', async () => {
  // Announces 100 bytes and PUTs the whole photo (the SAS takes it: 201, or upload() throws).
  const ticket = await upload(stack.url, 'small.png', img.photo(img.CAT), 'image/png', 100);
  const result = await terminalResult(ticket.statusUrl);
  expect(result).toMatchObject({ status: 'failed', error: { code: 'file_too_large' } });
  expect(result.error!.message).toMatch(/announced 100/);
});

it("leaves the drop folder's result and JSON blob alone when a job covers the same blob", async () => {
  const { results } = stack.services();
  const path = `shared-${Date.now()}/cat.png`;
  await stack.blobs().getContainerClient('images').getBlockBlobClient(path).uploadData(img.photo(img.CAT));
  const id = blobResultId('images', path);
  const dropped = await eventually('the drop-folder result', async () => {
    const record = await results.get(id);
    return record && TERMINAL.includes(record.result.status) ? record.result : undefined;
  });
  const json = stack.blobs().getContainerClient('results').getBlobClient(`images/${path}.json`);
  // The JSON blob is written just after the row turns terminal: wait for it too (a fresh-clone
  // run under load read it in between and got a 404).
  const before = await eventually('the drop-folder JSON blob', () =>
    json.getProperties().catch(() => undefined),
  );

  const job = await jobEnded(stack, await startJob(stack, { container: 'images', prefix: path }));
  expect(job).toMatchObject({ status: 'succeeded', succeeded: 1 });
  const [jobResult] = parseJsonl(await jobResults(stack, job.id, 'jsonl'));
  expect(jobResult.id).not.toBe(id);
  expect((await json.getProperties()).etag).toBe(before.etag); // not rewritten by the job

  // Retention (or a delete) of the job's copy takes nothing of the drop folder's.
  expect(await deleteResult(stack.services(), jobResult.id, { force: true })).toBe(true);
  expect(await results.get(jobResult.id)).toBeUndefined();
  expect((await results.get(id))!.result).toEqual(dropped);
  expect(JSON.parse((await json.downloadToBuffer()).toString())).toEqual(dropped);
});

it.each(['results', 'uploads', 'azure-webjobs-hosts', 'azure-webjobs-secrets'])(
  "refuses a job over the app's own container %s",
  async (container) => {
    const response = await fetch(`${stack.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ container, prefix: '' }),
    });
    expect(response.status).toBe(400);
  },
);
