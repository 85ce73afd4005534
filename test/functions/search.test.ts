// GET /api/results?label=… through the app as npm start runs it: after uploads, drop-folder
// writes and a job, every search answers exactly what an independent full scan of the
// `results` table finds, in json pages, jsonl and csv; a drop-folder blob written again with
// other bytes, and a deleted upload, leave it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { ClassificationResult } from '../../src/lib/results/result';
import { labelWords } from '../../src/lib/search/searchIndex';
import { devPhotos, jobEnded, seed, startJob } from '../jobs/jobApi';
import { getJson, upload } from '../support/api';
import { photo } from '../support/images';
import { eventually, useLocalStack } from '../support/stack';

const stack = useLocalStack();

/** The independent checker: every terminal row of `results`, read whole. */
async function scan(): Promise<ClassificationResult[]> {
  const rows: ClassificationResult[] = [];
  for await (const row of stack.table('results').listEntities<Record<string, string>>()) {
    if (row.status !== 'succeeded' && row.status !== 'failed') continue;
    rows.push((await stack.services().results.get(row.partitionKey!))!.result);
  }
  return rows;
}

const topLabel = (r: ClassificationResult): string[] => labelWords(r.predictions?.[0]?.label ?? '');

async function searchAll(query: string, top: number): Promise<ClassificationResult[]> {
  const items: ClassificationResult[] = [];
  let token: string | undefined;
  do {
    const { status, json } = await getJson(
      `${stack.url}/api/results?${query}&top=${top}${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`,
    );
    expect(status).toBe(200);
    const page = json as { items: ClassificationResult[]; continuationToken?: string };
    items.push(...page.items);
    token = page.continuationToken;
  } while (token);
  return items;
}

const ids = (list: ClassificationResult[]): string[] => list.map((r) => r.id).sort();

async function allTerminal(count: number): Promise<ClassificationResult[]> {
  return eventually(
    `${count} terminal results`,
    async () => {
      const rows = await scan();
      return rows.length >= count ? rows : undefined;
    },
    120_000,
  );
}

describe('search across every result', () => {
  it('answers what a full scan finds, page by page and streamed; a rewrite and a delete leave it', async () => {
    const images = stack.blobs().getContainerClient('images');
    for (const name of ['chelsea.png', 'coffee.png', 'rocket.jpg'])
      await images.getBlockBlobClient(`drop/${name}`).uploadData(photo(name));
    const ticket = await upload(stack.url, 'cat.png', photo('chelsea.png'), 'image/png');
    await seed(stack, 'photos', 'search/', devPhotos(20));
    const job = await startJob(stack, { container: 'photos', prefix: 'search/' });
    await jobEnded(stack, job, 120_000);
    let stored = await allTerminal(24);

    for (const [query, match] of [
      ['label=cat', (r: ClassificationResult) => topLabel(r).includes('cat')],
      [
        'label=CAT&minScore=0.5',
        (r: ClassificationResult) => topLabel(r).includes('cat') && r.predictions![0].score >= 0.5,
      ],
      [`jobId=${job}`, (r: ClassificationResult) => r.jobId === job],
      ['status=succeeded', (r: ClassificationResult) => r.status === 'succeeded'],
    ] as const) {
      const want = ids(stored.filter(match));
      expect({ query, matches: want.length > 0 }).toEqual({ query, matches: true });
      expect({ query, got: ids(await searchAll(query, 3)) }).toEqual({
        query,
        want: undefined,
        got: want,
      } as never);
    }

    // Streamed: every match, with the result's id first in CSV.
    const csv = await (await fetch(`${stack.url}/api/results?jobId=${job}&format=csv`)).text();
    const rows = parse<{ id: string; name: string; status: string }>(csv, { columns: true });
    expect(rows.map((r) => r.id).sort()).toEqual(ids(stored.filter((r) => r.jobId === job)));
    const jsonl = await (await fetch(`${stack.url}/api/results?label=cat&format=jsonl`)).text();
    expect(
      ids(
        jsonl
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as ClassificationResult),
      ),
    ).toEqual(ids(stored.filter((r) => topLabel(r).includes('cat'))));

    // The cat's blob written again with the coffee's bytes: found as espresso, no longer as a cat.
    const catId = stored.find((r) => r.source.name === 'drop/chelsea.png')!.id;
    await images.getBlockBlobClient('drop/chelsea.png').uploadData(photo('coffee.png'));
    await eventually('the rewritten blob classified again', async () => {
      const r = (await stack.services().results.get(catId))?.result;
      return r?.status === 'succeeded' && r.predictions![0].label === 'espresso' ? r : undefined;
    });
    // The row turns terminal first; its search entries come with the rest of its storing.
    await eventually('the rewritten blob in the index as espresso', async () =>
      ids(await searchAll('label=espresso', 50)).includes(catId) ? true : undefined,
    );
    expect(ids(await searchAll('label=cat', 50))).not.toContain(catId);

    // A deleted upload is gone from every answer.
    expect((await fetch(`${stack.url}/api/results/${ticket.id}`, { method: 'DELETE' })).status).toBe(204);
    stored = await scan();
    expect(ids(await searchAll('status=succeeded', 1000))).toEqual(
      ids(stored.filter((r) => r.status === 'succeeded')),
    );
    expect(ids(await searchAll('label=cat', 50))).not.toContain(ticket.id);
  }, 200_000);

  it('still looks a blob up by name, and says what is wrong with a search', async () => {
    expect((await getJson(`${stack.url}/api/results?blob=images/drop/rocket.jpg`)).status).toBe(200);
    const bad = await getJson(`${stack.url}/api/results?lable=cat`);
    expect(bad).toMatchObject({
      status: 400,
      json: { error: { code: 'bad_request', message: expect.stringMatching(/Unknown parameter "lable"/) } },
    });
    const token = await getJson(`${stack.url}/api/results?label=cat&continuationToken=eyJzIjo5OX0`);
    expect(token).toMatchObject({
      status: 400,
      json: { error: { message: expect.stringMatching(/continuationToken/) } },
    });
  });

  it("npx classify search: the same matches, to a CSV file, within a limit, and the app's reason for a bad filter", async () => {
    const classify = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [path.resolve(__dirname, '../../bin/classify.js'), 'search', '--api', stack.url, ...args],
          (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
        ),
      );
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'search-cli-')), 'succeeded.csv');
    const want = ids((await scan()).filter((r) => r.status === 'succeeded'));
    expect(want.length).toBeGreaterThan(2);
    const all = await classify(['--status', 'succeeded', '--out', out]);
    expect(all).toMatchObject({ code: 0, stderr: `${want.length} results in ${out}\n` });
    expect(
      parse<{ id: string }>(readFileSync(out, 'utf8'), { columns: true })
        .map((r) => r.id)
        .sort(),
    ).toEqual(want);

    const two = await classify(['--status', 'succeeded', '--limit', '2']);
    expect(two).toMatchObject({ code: 0, stderr: '2 results (more: raise --limit)\n' });
    expect(two.stdout.trim().split('\n')).toHaveLength(2);

    const bad = await classify(['--status', 'processing']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/answered 400: "status" must be succeeded or failed/);
  });
});
