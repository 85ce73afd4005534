/**
 * Search across results at scale: BENCH_SEARCH_RESULTS (default 100,000) terminal results
 * seeded into Azurite (bench/seedSearch.ts), then the queries people make, each answered from
 * the search index (SearchIndex, as GET /api/results runs it) and by a full scan of the
 * `results` table (every row read, filtered here), side by side: latency (median of 5) and
 * the table entities each reads. The index's answers are checked against the seeded set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClassificationResult } from '../../src/lib/results/result';
import { labelWords, SearchIndex, type SearchQuery } from '../../src/lib/search/searchIndex';
import { createStorageClients } from '../../src/lib/storage/clients';
import { storageNames } from '../../src/lib/storage/names';
import { startAzurite } from '../../src/local/launcher/azurite';
import { searchSet, seedSearch } from '../seedSearch';
import type { ModeReport } from '../stats';

const RUNS = 5;

interface Case {
  label: string;
  query: SearchQuery;
  /** Results per page, as the page asks (json), or every match (jsonl / csv). */
  top: number;
  all: boolean;
}

function matches(r: ClassificationResult, q: SearchQuery): boolean {
  const top = r.predictions?.[0];
  if (q.label && !(top && labelWords(q.label).every((w) => labelWords(top.label).includes(w)))) return false;
  if (q.minScore !== undefined && !(top && top.score >= q.minScore)) return false;
  if (q.status && r.status !== q.status) return false;
  if (q.errorCode && r.error?.code !== q.errorCode) return false;
  if (q.jobId && r.jobId !== q.jobId) return false;
  if (q.since && r.completedAt! < q.since) return false;
  if (q.until && r.completedAt! >= q.until) return false;
  return true;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function searchMode(): Promise<ModeReport> {
  const count = Number(process.env.BENCH_SEARCH_RESULTS ?? 100_000);
  const now = Date.now();
  const set = searchSet(count, now);
  const location = mkdtempSync(path.join(os.tmpdir(), 'bench-search-'));
  const seedStarted = performance.now();
  await seedSearch(location, set);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const azurite = await startAzurite({ location });
  try {
    const storage = createStorageClients({ AzureWebJobsStorage: azurite.connectionString });
    const index = new SearchIndex(storage, {
      horizonDays: 30,
      labelSets: () => [{ model: set.model, labels: set.labels }],
    });
    const week = new Date(now - 7 * 86_400_000).toISOString();
    const cases: Case[] = [
      {
        label: 'label=tabby&minScore=0.8, every match',
        query: { label: 'tabby', minScore: 0.8 },
        top: 1000,
        all: true,
      },
      { label: 'label=cat, first page of 100', query: { label: 'cat' }, top: 100, all: false },
      {
        label: 'status=failed&errorCode=corrupt_image, last 7 days, every match',
        query: { status: 'failed', errorCode: 'corrupt_image', since: week },
        top: 1000,
        all: true,
      },
      {
        label: `jobId=<a job of ~${Math.round(count / 100)}>, every match`,
        query: { jobId: set.jobIds[0] },
        top: 1000,
        all: true,
      },
      {
        label: 'status=succeeded&minScore=0.99, last 2 days, every match',
        query: { status: 'succeeded', minScore: 0.99, since: new Date(now - 2 * 86_400_000).toISOString() },
        top: 1000,
        all: true,
      },
      { label: 'no filter, first page of 100 (newest)', query: {}, top: 100, all: false },
    ];
    // Azurite's first queries build its indices: warm both paths once.
    await index.search({ label: 'warm' }, { top: 1 });
    const details = [
      `Search over ${count.toLocaleString('en')} results (seeded in ${seedSeconds.toFixed(0)} s): the index against a full scan of the results table, median of ${RUNS} runs each:`,
      '',
      '| query | matches | index ms | index entities read | full scan ms | full scan entities read | scan / index time |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    ];
    const metrics: Record<string, number> = {};
    let scanMs: number | undefined;
    let scanRead = 0;
    for (const [i, c] of cases.entries()) {
      const want = set.results.filter((r) => matches(r, c.query));
      const times: number[] = [];
      let read = 0;
      let got: ClassificationResult[] = [];
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        got = [];
        read = 0;
        let token: string | undefined;
        do {
          const page = await index.search(c.query, { top: c.top, continuationToken: token });
          got.push(...page.items);
          read += page.entitiesRead;
          token = c.all ? page.continuationToken : undefined;
        } while (token);
        times.push(performance.now() - started);
      }
      const expected = c.all ? want.length : Math.min(c.top, want.length);
      if (got.length !== expected || !got.every((r) => matches(r, c.query)))
        throw new Error(`${c.label}: the index answered ${got.length} results, the set has ${expected}.`);
      // The full scan reads every row whatever the query: timed once per case, on the same data.
      const scanTimes: number[] = [];
      for (let run = 0; run < (scanMs === undefined ? RUNS : 1); run++) {
        const started = performance.now();
        scanRead = 0;
        for await (const page of storage
          .table(storageNames.resultsTable)
          .listEntities({
            queryOptions: { select: ['label', 'score', 'status', 'errorCode', 'jobId', 'completedAt'] },
          })
          .byPage({ maxPageSize: 1000 })) {
          scanRead += page.length;
        }
        scanTimes.push(performance.now() - started);
      }
      scanMs ??= median(scanTimes);
      const indexMs = median(times);
      details.push(
        `| ${c.label} | ${want.length} | ${indexMs.toFixed(0)} | ${read} | ${scanMs.toFixed(0)} | ${scanRead} | ${(scanMs / indexMs).toFixed(0)}x |`,
      );
      metrics[`case${i}IndexMs`] = indexMs;
      metrics[`case${i}EntitiesRead`] = read;
    }
    metrics.fullScanMs = scanMs!;
    details.push(
      '',
      'By label the index reads only the matches (one key range, best score first, of each class partition the words name); by job or failure one partition; otherwise each day partition in the window, the other conditions checked by the Table service (what it returns is counted; the service still examines the window). The full scan reads every row, as a query without the index must.',
    );
    return {
      mode: `search across ${count.toLocaleString('en')} results`,
      images: count,
      seconds: Math.round(seedSeconds),
      imagesPerSecond: null,
      p50Ms: Math.round(metrics.case0IndexMs),
      p95Ms: NaN,
      peakRssMb: NaN,
      note: `label+minScore in ${metrics.case0IndexMs.toFixed(0)} ms reading ${metrics.case0EntitiesRead} entities; a full scan ${scanMs!.toFixed(0)} ms reading ${scanRead}`,
      metrics,
      details,
    };
  } finally {
    await azurite.stop();
    rmSync(location, { recursive: true, force: true });
  }
}
