/**
 * Seeds a persisted Azurite with `count` terminal results: their `results` rows and their
 * search index entities, as the app writes them (ResultStore's row, SearchIndex's entities),
 * for the search benchmark. Through the API this takes minutes (1,000 rows a second, and the
 * index's many small partitions far slower), so as bench/seedJobRows.ts does: the tables are
 * made and one result is written through the API, then the rest go straight into Azurite's
 * LokiJS file while it is stopped (indices marked dirty, rebuilt on load). Queries then read
 * them through Azurite's API like any other entity.
 *
 * The set: labels uniform over the model's 1,000 classes, scores uniform in 0-1, one result in
 * 12 failed (four error codes), completedAt spread over the last 29 days, one in 10 in one of
 * ten jobs; a fixed seed, so every run seeds the same set.
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MODELS_DIR } from '../src/lib/paths';
import type { ClassificationResult } from '../src/lib/results/result';
import { ResultStore, toEntity } from '../src/lib/results/resultStore';
import { SearchIndex, searchEntities } from '../src/lib/search/searchIndex';
import { createStorageClients } from '../src/lib/storage/clients';
import { ensureStorage } from '../src/lib/storage/ensureStorage';
import { storageNames } from '../src/lib/storage/names';
import { startAzurite } from '../src/local/launcher/azurite';

const DAY_MS = 86_400_000;
const CODES = ['corrupt_image', 'unsupported_format', 'image_too_large', 'internal_error'] as const;

/** A small deterministic generator (mulberry32): the same set on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeededSet {
  results: ClassificationResult[];
  jobIds: string[];
  /** The model the results name, and its labels (what label queries are resolved against). */
  model: string;
  labels: string[];
}

export function searchSet(count: number, now: number): SeededSet {
  const labels = JSON.parse(readFileSync(path.join(MODELS_DIR, 'labels/imagenet.json'), 'utf8')) as string[];
  const next = random(20261203);
  const jobIds = Array.from(
    { length: 10 },
    (_, j) => `00000000-0000-4000-8000-${String(j).padStart(12, '0')}`,
  );
  const results = Array.from({ length: count }, (_, i): ClassificationResult => {
    const completedAt = new Date(now - Math.floor(next() * 29 * DAY_MS)).toISOString();
    const classIndex = Math.floor(next() * labels.length);
    const failed = next() < 1 / 12;
    const base = {
      id: `seed-${String(i).padStart(7, '0')}`,
      source: { name: `photos/${i}.jpg`, bytes: 23133, contentType: 'image/jpeg' },
      model: { id: 'mobilenetv2-12-int8', sha256: 'a'.repeat(64), computation: 'exact' as const },
      timings: { queueMs: 5, downloadMs: 2, decodeMs: 9, inferMs: 11, totalMs: 27 },
      createdAt: completedAt,
      completedAt,
      jobId: next() < 0.1 ? jobIds[Math.floor(next() * jobIds.length)] : undefined,
    };
    if (failed)
      return {
        ...base,
        status: 'failed',
        error: { code: CODES[Math.floor(next() * CODES.length)], message: 'seeded failure' },
      };
    const score = Math.round(next() * 1e6) / 1e6;
    return {
      ...base,
      status: 'succeeded',
      predictions: [
        { label: labels[classIndex], classIndex, score },
        {
          label: labels[(classIndex + 1) % labels.length],
          classIndex: (classIndex + 1) % labels.length,
          score: (1 - score) / 2,
        },
      ],
    };
  });
  return { results, jobIds, model: 'mobilenetv2-12-int8', labels };
}

interface LokiEntity {
  PartitionKey: string;
  RowKey: string;
  properties: Record<string, unknown>;
  lastModifiedTime: string;
  eTag: string;
  meta: Record<string, unknown>;
  $loki: number;
}

interface LokiCollection {
  name: string;
  data: LokiEntity[];
  idIndex: number[] | null;
  binaryIndices: Record<string, { dirty: boolean; values: number[] }>;
  maxId: number;
}

export async function seedSearch(location: string, set: SeededSet): Promise<void> {
  const [first, ...rest] = set.results;
  const azurite = await startAzurite({ location });
  try {
    const storage = createStorageClients({ AzureWebJobsStorage: azurite.connectionString });
    await ensureStorage(storage);
    await new ResultStore(storage).create(first);
    await new SearchIndex(storage, { horizonDays: 30 }).add([first]);
  } finally {
    await azurite.stop(); // Azurite writes its file as it stops
  }
  const file = path.join(location, '__azurite_db_table__.json');
  const db = JSON.parse(await readFile(file, 'utf8')) as { collections: LokiCollection[] };
  const collection = (table: string) => db.collections.find((c) => c.name.endsWith(`$${table}`))!;
  const results = collection(storageNames.resultsTable);
  const search = collection(storageNames.searchTable);
  const stamp = new Date().toISOString().replace('Z', '0000Z');
  const push = (into: LokiCollection, entity: Record<string, unknown>) => {
    const properties: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entity)) {
      if (value === undefined) continue;
      const name = key === 'partitionKey' ? 'PartitionKey' : key === 'rowKey' ? 'RowKey' : key;
      properties[name] = value;
      if (typeof value === 'number' && !Number.isInteger(value))
        properties[`${name}@odata.type`] = 'Edm.Double';
    }
    properties.Timestamp = stamp;
    properties['Timestamp@odata.type'] = 'Edm.DateTime';
    const $loki = ++into.maxId;
    into.data.push({
      PartitionKey: properties.PartitionKey as string,
      RowKey: properties.RowKey as string,
      properties,
      lastModifiedTime: stamp,
      eTag: `W/"datetime'${encodeURIComponent(stamp)}'"`,
      meta: { revision: 0, created: Date.now(), version: 0 },
      $loki,
    });
    // Saved as null when Loki has no id index in memory yet; it builds one on load.
    if (Array.isArray(into.idIndex)) into.idIndex.push($loki);
  };
  for (const result of rest) {
    push(results, toEntity(result));
    for (const entity of searchEntities(result)) push(search, entity);
  }
  for (const c of [results, search]) for (const index of Object.values(c.binaryIndices)) index.dirty = true;
  await writeFile(file, JSON.stringify(db));
}
