/**
 * Storage requests, CPU and throughput per image on each of the three paths, in one run on one
 * stack (Azurite with its debug log, the app as `npm start` runs it), against the CLI
 * (`node bin/classify.js`) on the same images:
 *  - drop folder: N photos written to `images/` (by the bench, not counted), until each has
 *    its terminal result;
 *  - upload path: what the page does per photo: POST /api/uploads, the PUT, one poll once the
 *    result is there (the bench waits by reading the table itself, not counted);
 *  - bulk job: N photos already in a container, POST /api/jobs until the job has succeeded.
 * Then the drop folder and the job again on a second app with per-result events on, to a
 * webhook receiver on loopback, until every result's event has arrived: what events out costs.
 * Requests are put down to their caller by User-Agent (bench/requestLog.ts). The targets count
 * the app's and the Functions host's requests (and the client's PUT on the upload path); the
 * Event Grid stand-in's listing is shown apart, since Event Grid pushes in Azure.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { blobResultId } from '../../src/lib/results/ids';
import { createStorageClients } from '../../src/lib/storage/clients';
import { PROJECT_ROOT } from '../../src/lib/paths';
import { photoFiles, warmupFiles } from '../dataset';
import { cpuMsPerImage, postAndPut, startLocalApp, type LocalApp } from '../localApp';
import { PRICES } from '../prices';
import { logMark, tally, type CountedRequest } from '../requestLog';
import type { ModeReport } from '../stats';
import { round } from '../stats';

/** Per path; each path gets photos of its own, so no path reuses another's predictions. */
const IMAGES = 80;
/**
 * Images each path runs before anything is measured (val-dev images, never measured): a
 * Functions instance that has been serving is warm. Measured on a cold path, V8 is still
 * compiling the SDK's and the app's hot code on its background threads (3-4 ms of CPU per
 * image in the first hundred images, against about zero for the CLI's far smaller code).
 */
const WARMUP_PER_PATH = 60;
const UPLOAD_CLIENTS = 8;
/** After the last result: let late writes (job exports, checkpoints) land inside the window. */
const SETTLE_MS = 1500;
const TERMINAL = new Set(['succeeded', 'failed']);

interface CliFigures {
  images: number;
  seconds: number;
  cpuMsPerImage: number;
}

interface PathFigures {
  key: string;
  label: string;
  requests: CountedRequest[];
  seconds: number;
  cpu: { app: number; azurite: number; standIn: number };
  /** Callers whose requests count towards the target. */
  counted: string[];
  /** Function invocations per image. */
  executions: number;
  /** The path whose CLI figures compare with this one (the events paths run the same kind of work). */
  cliKey: string;
}

export async function storageRequestsMode(): Promise<ModeReport[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-requests-'));
  const debugLog = path.join(dir, 'azurite-debug.log');
  const app = await startLocalApp({ azuriteDebugLog: debugLog });
  try {
    const bench = createStorageClients(
      { AzureWebJobsStorage: app.connectionString },
      { userAgentPrefix: 'bench' },
    );
    const all = photoFiles(3 * IMAGES);
    const read = (list: string[]) =>
      Promise.all(list.map(async (f) => [path.basename(f), await readFile(f)] as const));
    const [dropFiles, uploadFiles, jobFiles] = [0, 1, 2].map((i) => all.slice(i * IMAGES, (i + 1) * IMAGES));
    const results = bench.table('results');
    // Warm every path first (not measured), each with images of its own.
    const warm = await read(warmupFiles(3 * WARMUP_PER_PATH));
    const warmPart = (i: number) => warm.slice(i * WARMUP_PER_PATH, (i + 1) * WARMUP_PER_PATH);
    await dropFolder(bench, results, 'warmup/', warmPart(0));
    await uploads(app, results, warmPart(1));
    await seed(bench, 'warmup/', warmPart(2));
    await job(app, bench, 'warmup/', WARMUP_PER_PATH);

    const figures: PathFigures[] = [];
    const measure = measurer(app, debugLog, figures);

    const [dropPhotos, uploadPhotos] = [await read(dropFiles), await read(uploadFiles)];
    await measure('drop', 'drop folder (images/)', ['app', 'functions-host'], () =>
      dropFolder(bench, results, 'drop/', dropPhotos),
    );
    await measure('upload', 'upload path (POST, PUT, one poll)', ['app', 'functions-host', 'client'], () =>
      uploads(app, results, uploadPhotos),
    );
    await seed(bench, 'photos/', await read(jobFiles));
    await measure('job', 'bulk job over a prefix', ['app', 'functions-host'], () =>
      job(app, bench, 'photos/', IMAGES),
    );

    const { peakRssMb } = await app.stop();
    figures.push(...(await withEvents(dir, await read(warmupFiles(3 * WARMUP_PER_PATH + 2 * IMAGES)))));
    // The CLI on each path's own photos, three runs each, the median of each figure (one run
    // of a second swings by a fifth), interleaved so a noisy moment hits every path alike.
    const files: Record<string, string[]> = { drop: dropFiles, upload: uploadFiles, job: jobFiles };
    const runs: Record<string, CliFigures[]> = { drop: [], upload: [], job: [] };
    for (let i = 0; i < 3; i++)
      for (const key of Object.keys(files)) runs[key].push(await cliRun(files[key]));
    const cli = Object.fromEntries(Object.entries(runs).map(([key, r]) => [key, medianRun(r)]));
    // Its start-up (node, the model, one image) is in its figures, as users run it; shown apart.
    const startup = await cliRun(jobFiles.slice(0, 1));
    return [{ ...report(figures, cli, startup), peakRssMb }];
  } catch (err) {
    await app.stop().catch(() => undefined);
    throw err;
  }
}

/** Runs one path and records its requests, CPU and invocations per image. */
function measurer(app: LocalApp, debugLog: string, figures: PathFigures[]) {
  return async (key: string, label: string, counted: string[], run: () => Promise<void>, cliKey = key) => {
    const mark = logMark(debugLog);
    const cpuBefore = app.cpuMs();
    const executionsBefore = app.executions();
    const started = performance.now();
    await run();
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuMsPerImage(cpuBefore, app.cpuMs(), IMAGES);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const executions = (app.executions() - executionsBefore) / IMAGES;
    figures.push({ key, label, requests: mark.since(), seconds, cpu, counted, executions, cliKey });
  };
}

/**
 * The drop folder and a job with per-result events on (CLASSIFIER_EVENTS_PER_RESULT, a webhook
 * receiver on loopback answering 204), each timed until every result's event has arrived. Run on
 * val-dev images (the photos are all used above; fresh bytes, so nothing is reused), after a
 * warm-up of their own.
 */
async function withEvents(dir: string, images: (readonly [string, Buffer])[]): Promise<PathFigures[]> {
  const received = new Set<string>();
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const event = JSON.parse(body) as { type: string; data: { id: string } };
      if (event.type === 'ImageClassifier.ResultCompleted') received.add(event.data.id);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const debugLog = path.join(dir, 'azurite-debug-events.log');
  const app = await startLocalApp({
    azuriteDebugLog: debugLog,
    env: {
      CLASSIFIER_EVENTS_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`,
      CLASSIFIER_EVENTS_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
      CLASSIFIER_EVENTS_PER_RESULT: 'true',
    },
  });
  try {
    const bench = createStorageClients(
      { AzureWebJobsStorage: app.connectionString },
      { userAgentPrefix: 'bench' },
    );
    const results = bench.table('results');
    const warm = images.slice(0, 2 * WARMUP_PER_PATH);
    const [drop, jobImages] = [0, 1].map((i) =>
      images.slice(3 * WARMUP_PER_PATH + i * IMAGES, 3 * WARMUP_PER_PATH + (i + 1) * IMAGES),
    );
    const allEvents = async (count: number) => {
      while (received.size < count) await new Promise((r) => setTimeout(r, 25));
    };
    await dropFolder(bench, results, 'warmup/', warm.slice(0, WARMUP_PER_PATH));
    await seed(bench, 'warmup/', warm.slice(WARMUP_PER_PATH));
    await job(app, bench, 'warmup/', WARMUP_PER_PATH);
    await allEvents(2 * WARMUP_PER_PATH);
    const figures: PathFigures[] = [];
    const measure = measurer(app, debugLog, figures);
    await measure(
      'dropEvents',
      'drop folder, per-result events on',
      ['app', 'functions-host'],
      async () => {
        await dropFolder(bench, results, 'drop/', drop);
        await allEvents(2 * WARMUP_PER_PATH + IMAGES);
      },
      'drop',
    );
    await seed(bench, 'photos/', jobImages);
    await measure(
      'jobEvents',
      'bulk job, per-result events on',
      ['app', 'functions-host'],
      async () => {
        await job(app, bench, 'photos/', IMAGES);
        await allEvents(2 * WARMUP_PER_PATH + 2 * IMAGES);
      },
      'job',
    );
    return figures;
  } finally {
    await app.stop();
    await new Promise((resolve) => receiver.close(resolve));
  }
}

async function dropFolder(
  bench: ReturnType<typeof createStorageClients>,
  results: TableClient,
  prefix: string,
  photos: readonly (readonly [string, Buffer])[],
): Promise<void> {
  const container = bench.blobs.getContainerClient('images');
  await container.createIfNotExists();
  await Promise.all(
    photos.map(([name, bytes]) => container.getBlockBlobClient(`${prefix}${name}`).uploadData(bytes)),
  );
  await Promise.all(
    photos.map(([name]) => untilTerminal(results, blobResultId('images', `${prefix}${name}`))),
  );
}

async function uploads(app: LocalApp, results: TableClient, photos: readonly (readonly [string, Buffer])[]) {
  let next = 0;
  await Promise.all(
    Array.from({ length: UPLOAD_CLIENTS }, async () => {
      while (next < photos.length) {
        const [name, bytes] = photos[next++];
        const ticket = await postAndPut(app.url, name, bytes);
        await untilTerminal(results, ticket.id);
        const poll = (await (await fetch(ticket.statusUrl)).json()) as { status: string };
        if (poll.status !== 'succeeded') throw new Error(`${name}: ${poll.status}`);
      }
    }),
  );
}

async function seed(
  bench: ReturnType<typeof createStorageClients>,
  prefix: string,
  photos: readonly (readonly [string, Buffer])[],
) {
  const container = bench.blobs.getContainerClient('bench');
  await container.createIfNotExists();
  await Promise.all(
    photos.map(([name, bytes]) => container.getBlockBlobClient(`${prefix}${name}`).uploadData(bytes)),
  );
}

async function job(
  app: LocalApp,
  bench: ReturnType<typeof createStorageClients>,
  prefix: string,
  images: number,
): Promise<void> {
  const res = await fetch(`${app.url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ container: 'bench', prefix }),
  });
  const { id } = (await res.json()) as { id: string };
  const jobs = bench.table('jobs');
  for (;;) {
    const row = await jobs.getEntity<{ status: string; succeeded: number }>(id, 'job');
    if (row.status !== 'running') {
      if (row.succeeded !== images)
        throw new Error(`The job ended ${row.status} with ${row.succeeded} succeeded.`);
      return;
    }
    // Finely, since this times the job: 100 ms would be 6% of an 80-photo job.
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function untilTerminal(results: TableClient, id: string): Promise<void> {
  for (;;) {
    const row = await results.getEntity<{ status: string }>(id, 'result').catch(() => undefined);
    if (row && TERMINAL.has(row.status)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function medianRun(runs: CliFigures[]): CliFigures {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return {
    images: runs[0].images,
    seconds: median(runs.map((r) => r.seconds)),
    cpuMsPerImage: median(runs.map((r) => r.cpuMsPerImage)),
  };
}

/** `node bin/classify.js` on the same images: wall time and CPU (user + system of the child, from bash's `times`). */
async function cliRun(files: string[]): Promise<CliFigures> {
  const cli = path.join(PROJECT_ROOT, 'bin/classify.js');
  const started = performance.now();
  const { stdout } = await promisify(execFile)(
    'bash',
    ['-c', 'node "$0" --jsonl "$@" > /dev/null || exit 1; times', cli, ...files],
    { env: process.env },
  );
  const seconds = (performance.now() - started) / 1000;
  // `times` prints the shell's then its children's user and system time: "0m1.234s 0m0.100s".
  const children = stdout.trim().split('\n').pop()!.split(/\s+/);
  const ms = (t: string) => {
    const m = /(\d+)m([\d.]+)s/.exec(t)!;
    return (Number(m[1]) * 60 + Number(m[2])) * 1000;
  };
  return {
    images: files.length,
    seconds,
    cpuMsPerImage: round((ms(children[0]) + ms(children[1])) / files.length),
  };
}

function report(figures: PathFigures[], cli: Record<string, CliFigures>, startup: CliFigures): ModeReport {
  const details: string[] = [
    `Storage requests per image (${IMAGES} photos per path; app + Functions host [+ the client's PUT] count towards the target; the Event Grid stand-in's listing is shown apart):`,
    '',
    '| path | counted per image | app | Functions host | client | Event Grid stand-in | by operation (counted callers) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const metrics: Record<string, number> = { cliStartupCpuMs: startup.cpuMsPerImage };
  for (const f of figures) {
    const { byCaller, per } = tally(f.requests, IMAGES);
    const total = (caller: string) => byCaller.get(caller as never)?.total ?? 0;
    const counted = f.counted.reduce((sum, c) => sum + total(c), 0);
    const ops = new Map<string, number>();
    for (const c of f.counted)
      for (const [op, n] of byCaller.get(c as never)?.byOperation ?? []) ops.set(op, (ops.get(op) ?? 0) + n);
    const opText = [...ops]
      .sort((a, b) => b[1] - a[1])
      .map(([op, n]) => `${op} ${per(n)}`)
      .join('; ');
    details.push(
      `| ${f.label} | **${per(counted)}** | ${per(total('app'))} | ${per(total('functions-host'))} | ${per(total('client'))} | ${per(total('eventgrid-standin'))} | ${opText} |`,
    );
    metrics[`${f.key}RequestsPerImage`] = per(counted);
    metrics[`${f.key}AppCpuMsPerImage`] = f.cpu.app;
    metrics[`${f.key}ImagesPerSecond`] = round(IMAGES / f.seconds);
    metrics[`${f.key}CliCpuMsPerImage`] = cli[f.cliKey].cpuMsPerImage;
    metrics[`${f.key}CliImagesPerSecond`] = round(cli[f.cliKey].images / cli[f.cliKey].seconds);
  }
  // The CLI's CPU per image less its start-up: what it costs once running, for comparison.
  const steady = (key: string) =>
    round((cli[key].cpuMsPerImage * IMAGES - startup.cpuMsPerImage) / (IMAGES - 1));
  details.push(
    '',
    `CPU and throughput on the same ${IMAGES} photos (app CPU: the app process, with the local Functions host's own work, less the Event Grid stand-in's lister threads, shown apart; every path warmed up first with ${WARMUP_PER_PATH} images of its own, the CLI run as users run it on each path's photos):`,
    '',
    `| path | app images/s | CLI images/s | app vs CLI | app CPU ms/image | CLI CPU ms/image | app vs CLI CPU | vs the CLI less its start-up | Event Grid stand-in ms/image | Azurite ms/image |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...figures.map((f) => {
      const m = (name: string) => metrics[`${f.key}${name}`];
      return `| ${f.label} | ${m('ImagesPerSecond')} | ${m('CliImagesPerSecond')} | ${(m('ImagesPerSecond') / m('CliImagesPerSecond')).toFixed(2)}x | ${f.cpu.app} | ${m('CliCpuMsPerImage')} | ${(f.cpu.app / m('CliCpuMsPerImage')).toFixed(2)}x | ${(f.cpu.app / steady(f.cliKey)).toFixed(2)}x (${steady(f.cliKey)} ms) | ${f.cpu.standIn} | ${f.cpu.azurite} |`;
    }),
    '',
    `The CLI is \`node bin/classify.js\` over the same ${IMAGES} photos (median of 3 runs); its start-up (node, the model, one photo) took ${startup.cpuMsPerImage} ms of CPU, ${round(startup.cpuMsPerImage / IMAGES)} ms per image of its figure.`,
  );
  details.push('', ...costTable(figures));
  return {
    key: 'requests',
    mode: 'storage requests, CPU and throughput per path',
    images: IMAGES,
    seconds: round(figures.reduce((s, f) => s + f.seconds, 0)),
    imagesPerSecond: metrics.jobImagesPerSecond,
    p50Ms: NaN,
    p95Ms: NaN,
    peakRssMb: NaN,
    note: `bulk job ${metrics.jobImagesPerSecond} images/s; tables below`,
    metrics,
    details,
  };
}

/** A storage request's price class (learn.microsoft.com "map REST APIs to transaction categories", GPv2). */
function priceOf(r: CountedRequest): number {
  if (r.service !== 'blob') return PRICES.queueTablePer10k.usd;
  if (['Put Blob', 'Put Block', 'Put Block List'].includes(r.operation)) return PRICES.blobWritePer10k.usd;
  if (r.operation === 'Get Blob') return PRICES.blobReadPer10k.usd;
  if (r.operation === 'List Blobs' || r.operation === 'PUT Container') return PRICES.blobListPer10k.usd;
  if (r.operation === 'Delete Blob') return 0; // free on GPv2
  return PRICES.blobOtherPer10k.usd;
}

/**
 * Cost per million images in Azure from this run's measured mix: the counted callers' storage
 * requests at their class's price, app CPU as Flex Consumption GB-seconds (a busy 2,048 MB
 * instance has about one vCPU, so its billed time per image is about the image's CPU time),
 * the invocations, and two Event Grid operations per BlobCreated delivery.
 */
function costTable(figures: PathFigures[]): string[] {
  const million = 1_000_000;
  const usd = (x: number) => `$${x.toFixed(2)}`;
  const lines = [
    'Cost per million images in Azure, from the measured mix above and the prices in bench/prices.ts:',
    '',
    '| path | storage requests | compute (GB-s) | executions | Event Grid | total | per 1,000 images |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const f of figures) {
    const counted = f.requests.filter((r) => f.counted.includes(r.caller));
    const storage = (counted.reduce((sum, r) => sum + priceOf(r), 0) / 10_000 / IMAGES) * million;
    const compute = (f.cpu.app / 1000) * PRICES.instanceGb.value * PRICES.flexGbSecond.usd * million;
    const executions = f.executions * PRICES.flexPerMillionExecutions.usd;
    // Two operations per BlobCreated delivery; one more per event published to the topic.
    const published = f.key.endsWith('Events') ? 1 : 0;
    const eventGrid = ((f.cliKey === 'job' ? 0 : 2) + published) * PRICES.eventGridPerMillion.usd;
    const total = storage + compute + executions + eventGrid;
    lines.push(
      `| ${f.label} | ${usd(storage)} | ${usd(compute)} | ${usd(executions)} (${round(f.executions)} per image) | ${usd(eventGrid)} | **${usd(total)}** | $${(total / 1000).toFixed(4)} |`,
    );
  }
  for (const v of PRICES.vision)
    lines.push(`| ${v.name} | | | | | ${usd(v.per1000 * 1000)} | ${usd(v.per1000)} |`);
  lines.push(
    '',
    'Prices:',
    ...Object.values(PRICES)
      .flatMap((p): readonly { source: string }[] => ('source' in p ? [p] : p))
      .map((p) => `- ${p.source}`),
  );
  return lines;
}
