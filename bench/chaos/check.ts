/**
 * The chaos run's independent checker. It reads only storage (the `results` and `jobs` tables,
 * the `results`, `images` and `chaos-jobs` containers, the queues) and the HTTP API, never the
 * app's code, and holds them to the clients' ledger and the command line's answers:
 *  - every accepted upload and every drop-folder name that still exists has exactly one
 *    terminal result, of its latest version, saying what `classify` says of its bytes, and a
 *    JSON blob that agrees with its row; a deleted name has nothing;
 *  - every job (every one in the `jobs` table, so one made by a retried POST too) has ended, its
 *    counters equal its rows, its rows are right, and its export lists each image once;
 *  - no row is left `queued` or `processing`, no JSON blob without its row, and the search
 *    index holds exactly the terminal results;
 *  - every synchronous call was answered rightly or was a 5xx (never a wrong answer);
 *  - poison messages are listed with their error, for the report to account for.
 */
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import type { ChaosStack } from './chaosStack';
import { jobImageName, type Ledger } from './doors';
import type { Expected, ImageSet } from './images';

export type FindingKind = 'lost' | 'duplicated' | 'wrong' | 'stuck';

export interface Finding {
  kind: FindingKind;
  what: string;
}

interface Row {
  id: string;
  status: string;
  jobId?: string;
  label?: string;
  errorCode?: string;
  blobContainer?: string;
  blobName?: string;
  blobEtag?: string;
}

/** What storage holds now, read without the app. */
export interface StorageState {
  rows: Map<string, Row>;
  /** Names in `images` with their ETag. */
  dropBlobs: Map<string, string>;
  /** Names in container `results`. */
  jsonBlobs: Set<string>;
  /** Job ids in the `jobs` table. */
  jobIds: string[];
}

const TERMINAL = ['succeeded', 'failed'];

export async function readState(connectionString: string): Promise<StorageState> {
  const table = (name: string) =>
    TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
  const blobs = BlobServiceClient.fromConnectionString(connectionString);
  const rows = new Map<string, Row>();
  const select = [
    'PartitionKey',
    'status',
    'jobId',
    'label',
    'errorCode',
    'blobContainer',
    'blobName',
    'blobEtag',
  ];
  for await (const e of table('results').listEntities<Omit<Row, 'id'>>({ queryOptions: { select } }))
    rows.set(e.partitionKey!, { ...e, id: e.partitionKey! });
  const dropBlobs = new Map<string, string>();
  for await (const b of blobs.getContainerClient('images').listBlobsFlat({ prefix: 'chaos/' }))
    dropBlobs.set(b.name, (b.properties.etag ?? '').replace(/"/g, ''));
  const jsonBlobs = new Set<string>();
  for await (const b of blobs.getContainerClient('results').listBlobsFlat()) jsonBlobs.add(b.name);
  const jobIds: string[] = [];
  for await (const e of table('jobs').listEntities({
    queryOptions: { filter: "RowKey eq 'job'", select: ['PartitionKey'] },
  }))
    jobIds.push(e.partitionKey!);
  return { rows, dropBlobs, jsonBlobs, jobIds };
}

/** What is still moving: rows not terminal, drop names without a terminal row of their version, jobs running. */
export async function unsettled(stack: ChaosStack, ledger: Ledger, state: StorageState): Promise<string[]> {
  const open: string[] = [];
  const byDropName = dropRows(state);
  for (const row of state.rows.values()) {
    if (['queued', 'processing'].includes(row.status)) open.push(`row ${row.id} ${row.status}`);
    // Terminal, but its JSON blob not written yet: a redelivery is still to finish it.
    const json =
      row.jobId === undefined && row.blobName ? `${row.blobContainer}/${row.blobName}.json` : undefined;
    if (json && TERMINAL.includes(row.status) && !state.jsonBlobs.has(json))
      open.push(`row ${row.id} without ${json}`);
  }
  for (const [name, etag] of state.dropBlobs) {
    const row = byDropName.get(name)?.[0];
    if (!row || row.blobEtag !== etag || !TERMINAL.includes(row.status)) open.push(`drop ${name}`);
  }
  for (const u of ledger.uploads) {
    if (u.accepted && !TERMINAL.includes(state.rows.get(u.id!)?.status ?? '')) open.push(`upload ${u.id}`);
  }
  for (const id of state.jobIds) {
    const res = await fetchFromAny(stack, `/api/jobs/${id}`);
    const view = res ? ((await res.json()) as { status: string }) : undefined;
    if (!view || view.status === 'running') open.push(`job ${id}`);
  }
  return open;
}

function dropRows(state: StorageState): Map<string, Row[]> {
  const byName = new Map<string, Row[]>();
  for (const row of state.rows.values()) {
    if (row.blobContainer !== 'images' || row.jobId) continue;
    byName.set(row.blobName!, [...(byName.get(row.blobName!) ?? []), row]);
  }
  return byName;
}

async function fetchFromAny(stack: ChaosStack, path: string): Promise<Response | undefined> {
  for (let attempt = 0; attempt < 10; attempt++) {
    for (const url of stack.liveUrls()) {
      const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(60_000) }).catch(
        () => undefined,
      );
      if (res && res.status < 500) return res;
      await res?.body?.cancel();
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return undefined;
}

const describe = (e: Expected) => ('label' in e ? `"${e.label}"` : e.code);
const says = (row: { status: string; label?: string; errorCode?: string }) =>
  row.status === 'succeeded' ? `"${row.label}"` : `${row.status} ${row.errorCode ?? ''}`.trim();
function agrees(row: { status: string; label?: string; errorCode?: string }, expected: Expected): boolean {
  return 'label' in expected
    ? row.status === 'succeeded' && row.label === expected.label
    : row.status === 'failed' && row.errorCode === expected.code;
}

export interface CheckResult {
  findings: Finding[];
  checked: {
    uploads: number;
    drops: number;
    deleted: number;
    jobImages: number;
    jobs: number;
    syncs: number;
  };
  syncUnavailable: number;
  poison: { queue: string; messages: string[] }[];
}

export async function check(stack: ChaosStack, ledger: Ledger, images: ImageSet): Promise<CheckResult> {
  const { connectionString } = stack;
  const state = await readState(connectionString);
  const findings: Finding[] = [];
  const find = (kind: FindingKind, what: string) => findings.push({ kind, what });
  const results = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('results');
  const seenJson = new Set<string>();

  /** The row's JSON blob must exist and say what the row says. */
  const checkJson = async (row: Row, name: string) => {
    seenJson.add(name);
    if (!state.jsonBlobs.has(name)) return find('lost', `${row.id}: no JSON blob results/${name}`);
    const json = JSON.parse((await results.getBlobClient(name).downloadToBuffer()).toString()) as {
      id: string;
      status: string;
      predictions?: { label: string }[];
      error?: { code: string };
    };
    const same =
      json.id === row.id &&
      json.status === row.status &&
      json.predictions?.[0]?.label === row.label &&
      json.error?.code === row.errorCode;
    if (!same)
      find(
        'wrong',
        `${row.id}: JSON blob results/${name} (${json.status}) disagrees with its row (${says(row)})`,
      );
  };

  /** One image's row: present, terminal, right. */
  const checkRow = (row: Row | undefined, what: string, expected: Expected): row is Row => {
    if (!row) return (find('lost', `${what}: no result`), false);
    if (!TERMINAL.includes(row.status)) return (find('stuck', `${what}: ${row.status}`), false);
    if (!agrees(row, expected)) find('wrong', `${what}: ${says(row)}, expected ${describe(expected)}`);
    return true;
  };

  let uploads = 0;
  for (const u of ledger.uploads.filter((u) => u.accepted)) {
    uploads++;
    const row = state.rows.get(u.id!);
    if (checkRow(row, `upload ${u.id}`, images.expected(u.content)))
      await checkJson(row, `uploads/${u.id}.json`);
  }
  // A PUT the client could not confirm may have landed: then it is an image like any other.
  for (const u of ledger.uploads.filter((u) => u.unconfirmed && u.id)) {
    const row = state.rows.get(u.id!);
    if (!row || row.status === 'awaiting_upload') continue;
    uploads++;
    if (checkRow(row, `upload ${u.id} (PUT unconfirmed)`, images.expected(u.content)))
      await checkJson(row, `uploads/${u.id}.json`);
  }

  const byDropName = dropRows(state);
  let drops = 0;
  let deleted = 0;
  for (const d of ledger.drops) {
    const name = d.plan.name;
    const rows = byDropName.get(name) ?? [];
    if (rows.length > 1) find('duplicated', `drop ${name}: ${rows.length} rows`);
    if (d.deleted) {
      deleted++;
      if (state.dropBlobs.has(name)) find('wrong', `drop ${name}: deleted by the client but still listed`);
      if (rows.length > 0) find('wrong', `drop ${name}: deleted, yet has a result (${says(rows[0])})`);
      if (state.jsonBlobs.has(`images/${name}.json`))
        find('wrong', `drop ${name}: deleted, yet has a JSON blob`);
      seenJson.add(`images/${name}.json`);
      continue;
    }
    drops++;
    const last = d.etags.length - 1;
    const row = rows[0];
    if (state.dropBlobs.get(name) !== d.etags[last])
      find('wrong', `drop ${name}: listed at another version than the client wrote last`);
    if (!checkRow(row, `drop ${name}`, images.expected(d.plan.writes[last]))) continue;
    if (row.blobEtag !== d.etags[last]) {
      const version = d.etags.indexOf(row.blobEtag ?? '');
      find(
        'wrong',
        `drop ${name}: result of ${version >= 0 ? `write ${version + 1}` : 'an unknown version'}, not of the last (write ${last + 1})`,
      );
    }
    await checkJson(row, `images/${name}.json`);
  }

  // Jobs: every one storage knows of, whoever asked for it.
  let jobImages = 0;
  const planByPrefix = new Map(ledger.jobs.map((j) => [j.plan.prefix, j]));
  const jobRows = new Map<string, Row[]>();
  for (const row of state.rows.values())
    if (row.jobId) jobRows.set(row.jobId, [...(jobRows.get(row.jobId) ?? []), row]);
  for (const id of state.jobIds) {
    const res = await fetchFromAny(stack, `/api/jobs/${id}`);
    const view = (await res?.json()) as
      | { status: string; prefix: string; total: number; succeeded: number; failed: number; skipped: number }
      | undefined;
    if (!view) {
      find('stuck', `job ${id}: GET /api/jobs/${id} never answered`);
      continue;
    }
    const record = planByPrefix.get(view.prefix);
    const rows = jobRows.get(id) ?? [];
    jobImages += rows.length;
    if (!record) {
      find('wrong', `job ${id}: over ${view.prefix}, which no client asked for`);
      continue;
    }
    if (view.status === 'running')
      find(
        'stuck',
        `job ${id} (${view.prefix}): still running, ${view.succeeded + view.failed}/${view.total}`,
      );
    const cancelled = view.status === 'cancelled';
    if (!cancelled && view.total !== record.plan.images.length)
      find(
        view.total < record.plan.images.length ? 'lost' : 'duplicated',
        `job ${id}: total ${view.total}, ${record.plan.images.length} images under ${view.prefix}`,
      );
    if (!cancelled && view.succeeded + view.failed !== view.total)
      find('lost', `job ${id} ${view.status}: ${view.succeeded} + ${view.failed} of ${view.total} counted`);
    if (cancelled && view.succeeded + view.failed + view.skipped !== view.total)
      find(
        'lost',
        `job ${id} cancelled: ${view.succeeded} + ${view.failed} + ${view.skipped} skipped of ${view.total}`,
      );
    const count = (status: string) => rows.filter((r) => r.status === status).length;
    if (count('succeeded') !== view.succeeded || count('failed') !== view.failed)
      find(
        'wrong',
        `job ${id}: counters ${view.succeeded}/${view.failed}, rows ${count('succeeded')}/${count('failed')}`,
      );
    const names = new Set<string>();
    for (const row of rows) {
      if (names.has(row.blobName!)) find('duplicated', `job ${id}: two rows for ${row.blobName}`);
      names.add(row.blobName!);
      const n = record.plan.images.findIndex((_, k) => jobImageName(record.plan, k) === row.blobName);
      if (n < 0) find('wrong', `job ${id}: a row for ${row.blobName}, which is not under its prefix`);
      else checkRow(row, `job ${id} ${row.blobName}`, images.expected(record.plan.images[n]));
    }
    const exported = await fetchFromAny(stack, `/api/jobs/${id}/results?format=jsonl`);
    const lines = exported ? (await exported.text()).split('\n').filter(Boolean) : [];
    const exportedNames = lines.map((l) => (JSON.parse(l) as { source: { name: string } }).source.name);
    if (new Set(exportedNames).size !== exportedNames.length)
      find('duplicated', `job ${id}: its export lists an image twice`);
    if (exportedNames.length !== rows.length)
      find('lost', `job ${id}: its export has ${exportedNames.length} results, ${rows.length} rows`);
  }
  for (const [jobId, rows] of jobRows)
    if (!state.jobIds.includes(jobId))
      find('wrong', `${rows.length} rows of job ${jobId}, which storage does not know`);

  // Anything left behind: a row never finished, a JSON blob whose result is gone.
  const expectedRows = new Set<string>([
    ...ledger.uploads.filter((u) => u.id).map((u) => u.id!),
    ...[...byDropName.values()].flat().map((r) => r.id),
    ...[...jobRows.values()].flat().map((r) => r.id),
  ]);
  for (const row of state.rows.values()) {
    if (row.status === 'awaiting_upload') continue; // a ticket whose PUT never landed: not an image the system took
    if (!expectedRows.has(row.id))
      find('wrong', `row ${row.id} (${row.blobContainer}/${row.blobName}) belongs to no image sent`);
  }
  for (const name of state.jsonBlobs) {
    if (name.startsWith('jobs/') || seenJson.has(name)) continue;
    find('duplicated', `JSON blob results/${name} has no result`);
  }

  // The search index holds the terminal results, each once.
  for (const status of TERMINAL) {
    const res = await fetchFromAny(stack, `/api/results?status=${status}&format=jsonl`);
    const ids = res
      ? (await res.text())
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { id: string }).id)
      : [];
    const listed = new Set(ids);
    if (listed.size !== ids.length) find('duplicated', `search: a ${status} result listed twice`);
    for (const row of state.rows.values())
      if (row.status === status && !listed.has(row.id))
        find(
          'lost',
          `search: ${status} result ${row.id} (${row.blobContainer}/${row.blobName}) is not in the index`,
        );
    for (const id of listed)
      if (state.rows.get(id)?.status !== status)
        find('wrong', `search: lists ${id} as ${status}; its row is ${state.rows.get(id)?.status ?? 'gone'}`);
  }

  let syncUnavailable = 0;
  for (const s of ledger.syncs) {
    if (s.outcome === 'wrong')
      find('wrong', `POST /api/classify: ${s.detail}, expected ${describe(images.expected(s.content))}`);
    if (s.outcome === 'unavailable') syncUnavailable++;
  }

  const queues = QueueServiceClient.fromConnectionString(connectionString);
  const poison: CheckResult['poison'] = [];
  for (const name of ['classify-poison', 'jobs-poison', 'events-poison']) {
    const queue = queues.getQueueClient(name);
    if (!(await queue.exists())) continue;
    const peeked = await queue.peekMessages({ numberOfMessages: 32 });
    if (peeked.peekedMessageItems.length > 0)
      poison.push({
        queue: name,
        messages: peeked.peekedMessageItems.map((m) => m.messageText.slice(0, 300)),
      });
  }
  return {
    findings,
    checked: { uploads, drops, deleted, jobImages, jobs: state.jobIds.length, syncs: ledger.syncs.length },
    syncUnavailable,
    poison,
  };
}
