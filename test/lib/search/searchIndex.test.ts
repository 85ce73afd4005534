// The search index against a real Azurite: every query answers exactly the matching results of
// the stored set (checked against a plain filter over the same set), page by page, reading only
// its partition's matches; replaced and deleted results leave it.
import { randomUUID } from 'node:crypto';
import type { ClassificationResult } from '../../../src/lib/results/result';
import { labelWords, SearchIndex, TokenError, type SearchQuery } from '../../../src/lib/search/searchIndex';
import { parseSearchRequest } from '../../../src/lib/search/searchRequest';
import { thrown } from '../../support/thrown';
import { useServices } from '../../support/services';

const env = useServices();
const NOW = Date.parse('2026-12-03T12:00:00.000Z');
const LABELS = [
  'tabby, tabby cat',
  'tiger cat',
  'Egyptian cat',
  'lynx, catamount',
  'golden retriever',
  'espresso',
];
const JOB = randomUUID();
const MODELS = ['mobilenetv2-12-int8', 'other-model'];

/** 120 results over 5 days: labels, scores, failures, a job and two models, all different. */
function storedSet(): ClassificationResult[] {
  return Array.from({ length: 120 }, (_, i) => {
    const completedAt = new Date(NOW - i * 53 * 60_000).toISOString(); // back about 4.4 days
    const failed = i % 9 === 4;
    const base = {
      id: `r${String(i).padStart(3, '0')}`,
      source: { name: `photo-${i}.jpg` },
      model: { id: i % 5 === 0 ? 'other-model' : 'mobilenetv2-12-int8', sha256: 'x' },
      timings: { queueMs: 0, downloadMs: 0, decodeMs: 0, inferMs: 0, totalMs: 0 },
      createdAt: completedAt,
      completedAt,
      jobId: i % 4 === 0 ? JOB : undefined,
    };
    if (failed)
      return {
        ...base,
        status: 'failed',
        error: { code: i % 2 ? 'corrupt_image' : 'unsupported_format', message: 'bad' },
      };
    return {
      ...base,
      status: 'succeeded',
      predictions: [
        { label: LABELS[i % LABELS.length], classIndex: i % LABELS.length, score: ((i * 37) % 100) / 100 },
      ],
    };
  });
}

/** What a query must answer, by a plain filter over the set. */
function expected(set: ClassificationResult[], q: SearchQuery): ClassificationResult[] {
  const words = q.label ? labelWords(q.label) : [];
  const matches = set.filter((r) => {
    const top = r.predictions?.[0];
    if (words.length && !(top && words.every((w) => labelWords(top.label).includes(w)))) return false;
    if (q.minScore !== undefined && !(top && top.score >= q.minScore)) return false;
    if (q.status && r.status !== q.status) return false;
    if (q.errorCode && r.error?.code !== q.errorCode) return false;
    if (q.jobId && r.jobId !== q.jobId) return false;
    if (q.model && r.model.id !== q.model) return false;
    if (q.since && r.completedAt! < q.since) return false;
    if (q.until && r.completedAt! >= q.until) return false;
    return true;
  });
  // By label: class by class (the label sets' order), best score first, then newest; otherwise newest first.
  const classOrder = (r: ClassificationResult) =>
    MODELS.indexOf(r.model.id) * LABELS.length + r.predictions![0].classIndex;
  return matches.sort((a, b) =>
    words.length && classOrder(a) !== classOrder(b)
      ? classOrder(a) - classOrder(b)
      : words.length && a.predictions![0].score !== b.predictions![0].score
        ? b.predictions![0].score - a.predictions![0].score
        : b.completedAt!.localeCompare(a.completedAt!),
  );
}

async function allPages(q: SearchQuery, top: number) {
  const items: ClassificationResult[] = [];
  let token: string | undefined;
  let pages = 0;
  let read = 0;
  do {
    const page = await search.search(q, { top, continuationToken: token });
    items.push(...page.items);
    read += page.entitiesRead;
    token = page.continuationToken;
    pages++;
  } while (token);
  return { items, pages, read };
}

let set: ClassificationResult[];
let search: SearchIndex;

beforeAll(async () => {
  set = storedSet();
  // The app's index over this Azurite, with "now" fixed for queries without since/until.
  search = new SearchIndex(env.services.storage, {
    horizonDays: 30,
    now: () => NOW,
    labelSets: () => MODELS.map((model) => ({ model, labels: LABELS })),
  });
  await search.add(set);
  await search.add(set.slice(0, 10)); // a redelivery: the same entities again
});

describe('search', () => {
  const queries: [string, SearchQuery][] = [
    ['a word of the label', { label: 'tabby' }],
    ['a word shared by labels, any case', { label: 'CAT' }],
    ['two words, both in the label', { label: 'tiger cat' }],
    ['a label and a minimum score', { label: 'cat', minScore: 0.8 }],
    ['failures with one code', { status: 'failed', errorCode: 'corrupt_image' }],
    ['a job', { jobId: JOB }],
    ['a job and a label', { jobId: JOB, label: 'cat' }],
    ['a label of one model', { label: 'cat', model: 'other-model' }],
    ['succeeded results of one model', { status: 'succeeded', model: 'other-model' }],
    [
      'a model and a score, in a time window',
      {
        model: 'other-model',
        minScore: 0.5,
        since: '2026-12-01T00:00:00.000Z',
        until: '2026-12-02T06:00:00.000Z',
      },
    ],
    ['everything', {}],
  ];

  it.each(queries)('%s: exactly the matches, in order, across pages', async (_, q) => {
    const want = expected(set, q).map((r) => r.id);
    expect(want.length).toBeGreaterThan(0);
    for (const top of [7, 1000]) {
      const { items, pages } = await allPages(q, top);
      expect(items.map((r) => r.id)).toEqual(want);
      if (top === 7) expect(pages).toBeGreaterThanOrEqual(Math.ceil(want.length / 7));
    }
  });

  it('by label and score, reads only the matches: one key range of each class partition', async () => {
    const q = { label: 'retriever', minScore: 0.5 };
    const { items, read } = await allPages(q, 1000);
    expect(items.length).toBe(expected(set, q).length);
    expect(read).toBe(items.length);
  });

  it('gives back the stored result whole', async () => {
    const page = await search.search({ label: 'espresso' }, { top: 1 });
    expect(page.items[0]).toEqual(set.find((r) => r.id === page.items[0].id));
  });

  it('forgets a result that is replaced or deleted', async () => {
    const victim = set.find((r) => r.predictions?.[0].label === 'espresso')!;
    await search.remove([victim]);
    await search.remove([victim]); // again: nothing left, no error
    const { items } = await allPages({ label: 'espresso' }, 1000);
    expect(items.map((r) => r.id)).not.toContain(victim.id);
    expect((await allPages({}, 1000)).items.map((r) => r.id)).not.toContain(victim.id);
    await search.add([victim]);
  });

  it('refuses a token it did not give', async () => {
    await expect(search.search({}, { top: 5, continuationToken: 'bm9wZQ' })).rejects.toBeInstanceOf(
      TokenError,
    );
  });
});

describe('the request', () => {
  const parse = (q: string) => parseSearchRequest(new URLSearchParams(q));

  it('reads every parameter', () => {
    expect(
      parse(
        `label=tabby&minScore=0.8&status=succeeded&jobId=${JOB}&model=m1&since=2026-12-01&until=2026-12-02T10:00:00Z&top=50&format=csv&continuationToken=abc&code=k`,
      ),
    ).toEqual({
      query: {
        label: 'tabby',
        minScore: 0.8,
        status: 'succeeded',
        jobId: JOB,
        model: 'm1',
        since: '2026-12-01T00:00:00.000Z',
        until: '2026-12-02T10:00:00.000Z',
      },
      top: 50,
      format: 'csv',
      continuationToken: 'abc',
    });
    expect(parse('')).toEqual({ query: {}, top: 100, format: 'json' });
  });

  it.each([
    ['lable=tabby', /Unknown parameter "lable"/],
    ['label=%2C%2C', /"label" must hold at least one word/],
    ['minScore=1.5', /"minScore"/],
    ['status=processing', /"status" must be succeeded or failed/],
    ['errorCode=nope', /"errorCode" must be one of/],
    ['jobId=123', /"jobId" must be a job id/],
    ['since=yesterday', /"since" must be an ISO 8601 date/],
    ['since=2026-12-02&until=2026-12-01', /"since" must be before "until"/],
    ['top=0', /"top"/],
    ['format=xml', /"format" must be json, jsonl or csv/],
  ])('%s: 400 with a reason', (q, message) => {
    expect(thrown(() => parse(q))).toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(message),
    });
  });
});
