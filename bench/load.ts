/**
 * `npm run load`: a bounded load test and soak of the whole local system (its own Azurite and
 * app, bench/localApp.ts), stopping by itself.
 * 1. Load: LOAD_CLIENTS simulated browsers doing the upload flow (POST /api/uploads, PUT to
 *    the SAS URL, poll the result), until LOAD_IMAGES uploads or LOAD_SECONDS.
 * 2. Soak: SOAK_IMAGES drop-folder writes through the queue path, until all end or SOAK_SECONDS.
 * Reports images/s, p50/p95/p99 upload-to-result latency, the app's RSS over time (VmRSS each
 * second), and checks that every image sent has exactly one terminal row and one JSON blob.
 * Every image has unique bytes (a JPEG comment carries a counter), so no result is reused.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { PROJECT_ROOT } from '../src/lib/paths';
import { blobResultId } from '../src/lib/results/ids';
import { startLocalApp } from './localApp';
import { percentile } from './stats';

const num = (name: string, fallback: number): number => Number(process.env[name]) || fallback;
const LOAD_CLIENTS = num('LOAD_CLIENTS', 32);
const LOAD_IMAGES = num('LOAD_IMAGES', 600);
const LOAD_SECONDS = num('LOAD_SECONDS', 120);
const SOAK_IMAGES = num('SOAK_IMAGES', 4000);
const SOAK_SECONDS = num('SOAK_SECONDS', 900);
const PHOTOS = path.resolve(PROJECT_ROOT, '../shared/datasets/imagenet-photos-dev/images');

const photos = readdirSync(PHOTOS)
  .sort()
  .map((f) => readFileSync(path.join(PHOTOS, f)));
let serial = 0;

/** A photo made unique: a COM segment right after SOI (valid JPEG, ignored by decoders). */
function uniquePhoto(): Buffer {
  const base = photos[serial % photos.length];
  const text = Buffer.from(`load-${process.pid}-${serial++}`);
  const com = Buffer.alloc(4);
  com.writeUInt16BE(0xfffe, 0);
  com.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([base.subarray(0, 2), com, text, base.subarray(2)]);
}

interface RssSample {
  t: number;
  mb: number;
  phase: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const app = await startLocalApp();
  const started = Date.now();
  const rss: RssSample[] = [];
  let phase = 'idle';
  let appGone = false;
  const sampler = setInterval(() => {
    try {
      const kb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${app.pid}/status`, 'utf8'))?.[1]);
      rss.push({ t: Math.round((Date.now() - started) / 1000), mb: Math.round(kb / 1024), phase });
    } catch {
      // The app process is gone: say so once, and let the exactly-once check report the damage.
      if (!appGone) process.stderr.write(`load: the app (pid ${app.pid}) exited during the ${phase} phase\n`);
      appGone = true;
    }
  }, 1000);
  const table = TableClient.fromConnectionString(app.connectionString, 'results', {
    allowInsecureConnection: true,
  });
  const blobs = BlobServiceClient.fromConnectionString(app.connectionString);
  try {
    phase = 'load';
    const load = await loadPhase(app.url);
    phase = 'soak';
    const soak = await soakPhase(blobs, table);
    phase = 'check';
    const check = await checkExactlyOnce(blobs, table, load.ids, soak.names);
    const report = summarise(load, soak, check, rss);
    const out = path.join(PROJECT_ROOT, 'bench/results');
    mkdirSync(out, { recursive: true });
    const file = path.join(out, `load-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ ...report, rss }, null, 2));
    process.stdout.write(
      `${JSON.stringify(report, null, 2)}\nWritten to ${path.relative(PROJECT_ROOT, file)}\n`,
    );
    if (!check.ok) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    await app.stop();
  }
}

interface LoadOutcome {
  ids: string[];
  latencies: number[];
  seconds: number;
  errors: number;
}

async function loadPhase(url: string): Promise<LoadOutcome> {
  const outcome: LoadOutcome = { ids: [], latencies: [], seconds: 0, errors: 0 };
  const deadline = Date.now() + LOAD_SECONDS * 1000;
  const t0 = Date.now();
  let issued = 0;
  const client = async (): Promise<void> => {
    while (issued < LOAD_IMAGES && Date.now() < deadline) {
      issued++;
      const bytes = uniquePhoto();
      const begin = Date.now();
      try {
        const res = await fetch(`${url}/api/uploads`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ fileName: 'photo.jpg', contentType: 'image/jpeg', size: bytes.length }),
        });
        if (res.status !== 201) throw new Error(`POST ${res.status}`);
        const ticket = (await res.json()) as {
          id: string;
          uploadUrl: string;
          headers: Record<string, string>;
          statusUrl: string;
        };
        const put = await fetch(ticket.uploadUrl, {
          method: 'PUT',
          headers: ticket.headers,
          body: new Uint8Array(bytes),
        });
        if (put.status !== 201) throw new Error(`PUT ${put.status}`);
        outcome.ids.push(ticket.id);
        // Poll like the page does (it backs off; a fixed 100 ms keeps the measurement fine-grained).
        while (Date.now() < deadline + 120_000) {
          const r = (await (await fetch(ticket.statusUrl)).json()) as { status: string };
          if (r.status === 'succeeded' || r.status === 'failed') {
            outcome.latencies.push(Date.now() - begin);
            break;
          }
          await sleep(100);
        }
      } catch {
        outcome.errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: LOAD_CLIENTS }, client));
  outcome.seconds = (Date.now() - t0) / 1000;
  return outcome;
}

interface SoakOutcome {
  names: string[];
  latencies: number[];
  seconds: number;
  ended: number;
}

async function soakPhase(blobs: BlobServiceClient, table: TableClient): Promise<SoakOutcome> {
  const container = blobs.getContainerClient('images');
  const written = new Map<string, number>();
  const t0 = Date.now();
  const deadline = t0 + SOAK_SECONDS * 1000;
  let next = 0;
  // Writers at a steady 32 in flight: the drop folder fills faster than it drains, as in a bulk copy.
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < SOAK_IMAGES && Date.now() < deadline) {
        const name = `soak/${String(next++).padStart(5, '0')}.jpg`;
        await container.getBlockBlobClient(name).uploadData(uniquePhoto());
        written.set(name, Date.now());
      }
    }),
  );
  const names = [...written.keys()];
  const ids = new Map(names.map((n) => [blobResultId('images', n), n]));
  const completed = new Map<string, number>();
  while (completed.size < names.length && Date.now() < deadline) {
    for await (const row of table.listEntities<{ status: string; completedAt?: string }>({
      queryOptions: { filter: `status eq 'succeeded' or status eq 'failed'` },
    })) {
      const name = ids.get(row.partitionKey!);
      if (name && row.completedAt) completed.set(name, Date.parse(row.completedAt));
    }
    if (completed.size < names.length) await sleep(2000);
  }
  const latencies = [...completed].map(([name, at]) => at - written.get(name)!);
  const last = Math.max(...completed.values());
  return { names, latencies, seconds: (last - t0) / 1000, ended: completed.size };
}

async function checkExactlyOnce(
  blobs: BlobServiceClient,
  table: TableClient,
  uploadIds: string[],
  soakNames: string[],
) {
  const expectedRows = new Set([...uploadIds, ...soakNames.map((n) => blobResultId('images', n))]);
  const statuses: Record<string, number> = {};
  let rows = 0;
  let strangers = 0;
  for await (const row of table.listEntities<{ status: string }>()) {
    rows++;
    if (!expectedRows.has(row.partitionKey!)) strangers++;
    statuses[row.status] = (statuses[row.status] ?? 0) + 1;
  }
  const jsonNames: string[] = [];
  for await (const b of blobs.getContainerClient('results').listBlobsFlat()) jsonNames.push(b.name);
  const expectedJson = new Set([
    ...uploadIds.map((id) => `uploads/${id}.json`),
    ...soakNames.map((n) => `images/${n}.json`),
  ]);
  const missingJson = [...expectedJson].filter((n) => !jsonNames.includes(n)).length;
  const extraJson = jsonNames.filter((n) => !expectedJson.has(n)).length;
  const terminal = (statuses.succeeded ?? 0) + (statuses.failed ?? 0);
  return {
    sent: expectedRows.size,
    rows,
    statuses,
    jsonBlobs: jsonNames.length,
    lost: expectedRows.size - terminal,
    duplicatedOrStray: strangers + extraJson + (rows - expectedRows.size > 0 ? rows - expectedRows.size : 0),
    missingJson,
    ok: terminal === expectedRows.size && strangers === 0 && missingJson === 0 && extraJson === 0,
  };
}

function summarise(
  load: LoadOutcome,
  soak: SoakOutcome,
  check: Awaited<ReturnType<typeof checkExactlyOnce>>,
  rss: RssSample[],
) {
  const stats = (l: number[]) => ({
    p50Ms: Math.round(percentile(l, 50)),
    p95Ms: Math.round(percentile(l, 95)),
    p99Ms: Math.round(percentile(l, 99)),
  });
  const soakRss = rss.filter((s) => s.phase === 'soak');
  // Warm-up: the first fifth of the soak (the model, pools and caches are in place by then).
  const warm = soakRss[Math.floor(soakRss.length / 5)]?.mb ?? NaN;
  const end = soakRss[soakRss.length - 1]?.mb ?? NaN;
  return {
    load: {
      clients: LOAD_CLIENTS,
      images: load.latencies.length,
      errors: load.errors,
      seconds: round(load.seconds),
      imagesPerSecond: round(load.latencies.length / load.seconds),
      ...stats(load.latencies),
    },
    soak: {
      images: soak.names.length,
      ended: soak.ended,
      seconds: round(soak.seconds),
      imagesPerSecond: round(soak.ended / soak.seconds),
      ...stats(soak.latencies),
    },
    rssMb: {
      idle: rss.find((s) => s.phase === 'load')?.mb,
      peak: Math.max(...rss.map((s) => s.mb)),
      soakAfterWarmup: warm,
      soakEnd: end,
      growthAfterWarmup: end - warm,
      // One sample every ~10 % of the run, for the docs.
      timeline: rss
        .filter((_, i) => i % Math.max(1, Math.floor(rss.length / 10)) === 0)
        .map((s) => `${s.t}s ${s.phase} ${s.mb}`),
    },
    exactlyOnce: check,
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`load failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
