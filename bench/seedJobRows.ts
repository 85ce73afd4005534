/**
 * Seeds a job's counted results into a persisted Azurite's table file, for exports of hundreds
 * of thousands of rows. Through the API, Azurite takes rows into one partition ever more slowly
 * (each insert scans the partition for its key: 20,000 rows in 55 s, 60,000 in 622 s, so
 * 200,000 would take hours). Here the first rows go through the API, the job's own
 * transaction, and the rest are copies of the first row's stored entity with their own keys
 * and results, written into Azurite's LokiJS file while it is stopped (its binary indices
 * marked dirty, so Azurite rebuilds them on load). What the export then reads, it reads
 * through Azurite's API like any other row.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { JobStore, resultRowKey } from '../src/lib/jobs/jobStore';
import { newJob } from '../src/lib/jobs/job';
import { newResult, type ClassificationResult } from '../src/lib/results/result';
import { startAzurite } from '../src/local/launcher/azurite';
import { createStorageClients } from '../src/lib/storage/clients';
import { storageNames } from '../src/lib/storage/names';

/** A counted result of the seeded job, as a job image's would be. */
export function seededResult(jobId: string, i: number): ClassificationResult {
  const r = newResult({
    id: `bench-${i}`,
    status: 'succeeded',
    source: { name: `photos/${i}.jpg`, bytes: 23133, sha256: 'f'.repeat(64), contentType: 'image/jpeg' },
    model: { id: 'mobilenetv2-12-int8', sha256: 'a'.repeat(64) },
    jobId,
  });
  r.predictions = [
    { label: 'tabby, tabby cat', classIndex: 281, score: 0.71 },
    { label: 'tiger cat', classIndex: 282, score: 0.2 },
    { label: 'Egyptian cat', classIndex: 285, score: 0.05 },
    { label: 'lynx, catamount', classIndex: 287, score: 0.02 },
    { label: 'plastic bag', classIndex: 728, score: 0.01 },
  ];
  r.completedAt = r.createdAt;
  return r;
}

interface LokiEntity {
  PartitionKey: string;
  RowKey: string;
  properties: Record<string, unknown>;
  $loki: number;
  meta: Record<string, unknown>;
  [key: string]: unknown;
}

interface LokiCollection {
  name: string;
  data: LokiEntity[];
  idIndex: number[];
  binaryIndices: Record<string, { dirty: boolean; values: number[] }>;
  maxId: number;
}

/** Seeds a finished job of `rows` succeeded results into Azurite data at `location`; returns its id. */
export async function seedJobRows(location: string, rows: number): Promise<string> {
  const azurite = await startAzurite({ location });
  const job = newJob({ kind: 'upload', total: rows, listingComplete: true });
  try {
    const storage = createStorageClients({ AzureWebJobsStorage: azurite.connectionString });
    await storage.table(storageNames.jobsTable).createTable();
    const jobs = new JobStore(storage);
    await jobs.create(job);
    const etag = (await jobs.get(job.id))!.etag;
    job.succeeded = rows; // the copies below are counted with the first row
    await jobs.commitResults(job, etag, [seededResult(job.id, 0)]);
  } finally {
    await azurite.stop(); // Azurite writes its file as it stops
  }
  const file = path.join(location, '__azurite_db_table__.json');
  const db = JSON.parse(await readFile(file, 'utf8')) as { collections: LokiCollection[] };
  const table = db.collections.find((c) => c.name.endsWith(`$${storageNames.jobsTable}`))!;
  const template = table.data.find((e) => e.RowKey === resultRowKey('bench-0'))!;
  for (let i = 1; i < rows; i++) {
    const result = seededResult(job.id, i);
    const $loki = ++table.maxId;
    table.data.push({
      ...template,
      RowKey: resultRowKey(result.id),
      properties: {
        ...template.properties,
        RowKey: resultRowKey(result.id),
        name: result.source.name,
        result: JSON.stringify(result),
      },
      meta: { ...template.meta },
      $loki,
    });
    table.idIndex.push($loki);
  }
  for (const index of Object.values(table.binaryIndices)) index.dirty = true;
  await writeFile(file, JSON.stringify(db));
  return job.id;
}
