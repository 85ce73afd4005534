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
 *  - every poison message is accounted for: all the work it names finished by another delivery
 *    (its results terminal, its job ended), so it is a copy whose deliveries the faults cut
 *    short (a kill, a lease lost while storage was away), not work the system dropped.
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
  completedAt?: string;
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
  /** Names in container `uploads`: every PUT that landed. */
  uploadBlobs: Set<string>;
  /** Entities of table `search`: which result each is for, in which kind of partition. */
  search: {
    id: string;
    kind: string;
    status: string;
    label?: string;
    errorCode?: string;
    completedAt?: string;
  }[];
  /** Job ids in the `jobs` table. */
  jobIds: string[];
}

const TERMINAL = ['succeeded', 'failed'];

/** Storage as it is; the search table only when asked (the drain reads the rest every 3 s). */
export async function readState(
  connectionString: string,
  options: { search?: boolean } = {},
): Promise<StorageState> {
  const table = (name: string) =>
    TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
  const blobs = BlobServiceClient.fromConnectionString(connectionString);
  const rows = new Map<string, Row>();
  const select = [
    'PartitionKey',
    'status',
    'completedAt',
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
  const uploadBlobs = new Set<string>();
  for await (const b of blobs.getContainerClient('uploads').listBlobsFlat()) uploadBlobs.add(b.name);
  const search: StorageState['search'] = [];
  const searchSelect = ['PartitionKey', 'id', 'status', 'label', 'errorCode', 'completedAt'];
  if (options.search)
    for await (const e of table('search').listEntities<Omit<StorageState['search'][number], 'kind'>>({
      queryOptions: { select: searchSelect },
    }))
      search.push({ ...e, kind: e.partitionKey!.split(':')[0] });
  const jobIds: string[] = [];
  for await (const e of table('jobs').listEntities({
    queryOptions: { filter: "RowKey eq 'job'", select: ['PartitionKey'] },
  }))
    jobIds.push(e.partitionKey!);
  return { rows, dropBlobs, jsonBlobs, uploadBlobs, search, jobIds };
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
  // Every PUT that landed, confirmed to its client or not.
  for (const id of state.uploadBlobs)
    if (!TERMINAL.includes(state.rows.get(id)?.status ?? '')) open.push(`upload ${id}`);
  const queues = QueueServiceClient.fromConnectionString(stack.connectionString);
  for (const name of ['classify', 'jobs', 'events']) {
    const queue = queues.getQueueClient(name);
    const waiting = (await queue.exists()) ? (await queue.getProperties()).approximateMessagesCount : 0;
    if (waiting) open.push(`${waiting} messages on queue ${name}`);
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
  /** Jobs whose POST failed after their first step was queued, which that step recorded failed. */
  abandonedJobs: number;
  /** Poison messages per queue, and how many of them name only finished work. */
  poison: { queue: string; messages: number; accounted: number }[];
}

export async function check(stack: ChaosStack, ledger: Ledger, images: ImageSet): Promise<CheckResult> {
  const { connectionString } = stack;
  const state = await readState(connectionString, { search: true });
  const findings: Finding[] = [];
  const find = (kind: FindingKind, what: string) => findings.push({ kind, what });
  const results = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('results');
  const seenJson = new Set<string>();

  /** The row's JSON blob must exist and say what the row says. */
  /** JSON blobs to read and hold to their rows: read 16 at a time once listed (thousands of them). */
  const jsonChecks: [Row, string][] = [];
  const checkJson = async (row: Row, name: string) => {
    seenJson.add(name);
    if (!state.jsonBlobs.has(name)) return find('lost', `${row.id}: no JSON blob results/${name}`);
    const json = JSON.parse((await results.getBlobClient(name).downloadToBuffer()).toString()) as {
      id: string;
      status: string;
      completedAt?: string;
      predictions?: { label: string }[];
      error?: { code: string };
    };
    // completedAt tells one attempt's (one version's) result from another's with the same answer.
    const same =
      json.id === row.id &&
      json.status === row.status &&
      json.completedAt === row.completedAt &&
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
      jsonChecks.push([row, `uploads/${u.id}.json`]);
  }
  // A PUT the client could not confirm may have landed (its blob is there): then it is an image like any other.
  for (const u of ledger.uploads.filter((u) => u.unconfirmed && u.id)) {
    const row = state.rows.get(u.id!);
    if (!state.uploadBlobs.has(u.id!) && (!row || row.status === 'awaiting_upload')) continue;
    uploads++;
    if (checkRow(row, `upload ${u.id} (PUT unconfirmed)`, images.expected(u.content)))
      jsonChecks.push([row, `uploads/${u.id}.json`]);
  }

  for (const u of ledger.uploads.filter((u) => u.refused)) {
    const expected = images.expected(u.content);
    if (!('code' in expected) || expected.code !== u.refused)
      find('wrong', `upload ticket refused with ${u.refused}, expected ${describe(expected)}`);
  }

  for (const j of ledger.jobs.filter((j) => j.refused))
    find('wrong', `job over ${j.plan.prefix}: ${j.refused}`);

  const byDropName = dropRows(state);
  let drops = 0;
  let deleted = 0;
  for (const d of ledger.drops.filter((d) => d.etags.length > 0)) {
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
    jsonChecks.push([row, `images/${name}.json`]);
  }

  for (let next = 0; next < jsonChecks.length;)
    await Promise.all(jsonChecks.slice(next, (next += 16)).map(([row, name]) => checkJson(row, name)));

  // Jobs: every one storage knows of, whoever asked for it.
  let jobImages = 0;
  let abandonedJobs = 0;
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
      // A job whose POST failed after its first step was queued: the step recorded it failed.
      if (view.status === 'failed' && view.total === 0 && rows.length === 0) abandonedJobs++;
      else find('wrong', `job ${id}: over ${view.prefix}, which no client asked for`);
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
    // Its export twice: as the API serves it (from the table), and the file its end wrote for
    // the JobCompleted event to name (results/jobs/<id>.jsonl).
    const served = await fetchFromAny(stack, `/api/jobs/${id}/results?format=jsonl`);
    const file = state.jsonBlobs.has(`jobs/${id}.jsonl`)
      ? (await results.getBlobClient(`jobs/${id}.jsonl`).downloadToBuffer()).toString()
      : undefined;
    if (view.status !== 'running' && file === undefined)
      find('lost', `job ${id} ${view.status}: no export file`);
    for (const [what, text] of [
      ['served export', served ? await served.text() : ''],
      ['export file', file],
    ] as const) {
      if (text === undefined) continue;
      const exported = text
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { source: { name: string } }).source.name);
      if (new Set(exported).size !== exported.length)
        find('duplicated', `job ${id}: its ${what} lists an image twice`);
      const missing = [...names].filter((n) => !exported.includes(n));
      const extra = exported.filter((n) => !names.has(n));
      if (missing.length > 0)
        find('lost', `job ${id}: its ${what} lacks ${missing.length} of its results (${missing[0]}, ...)`);
      if (extra.length > 0)
        find(
          'wrong',
          `job ${id}: its ${what} lists ${extra.length} images it has no row for (${extra[0]}, ...)`,
        );
    }
    if (cancelled && view.total > record.plan.images.length)
      find(
        'duplicated',
        `job ${id} cancelled: total ${view.total}, ${record.plan.images.length} images under ${view.prefix}`,
      );
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

  // The search index (table `search`) holds each terminal result exactly where it belongs, as it
  // is now: by day always, by class when it succeeded, as a failure when it failed, by job when in one.
  const entries = new Map<string, StorageState['search']>();
  for (const e of state.search) entries.set(e.id, [...(entries.get(e.id) ?? []), e]);
  for (const [id, list] of entries) {
    const row = state.rows.get(id);
    for (const e of list) {
      const current =
        row &&
        e.status === row.status &&
        e.label === row.label &&
        e.errorCode === row.errorCode &&
        e.completedAt === row.completedAt;
      if (!current)
        find(
          'wrong',
          `search: an entry (${e.kind}:) for ${id} says ${says(e)}; its row ${row ? says(row) : 'is gone'}`,
        );
    }
  }
  for (const row of state.rows.values()) {
    if (!TERMINAL.includes(row.status)) continue;
    const want = ['d', row.status === 'succeeded' ? 'c' : 'f', ...(row.jobId ? ['j'] : [])];
    const have = (entries.get(row.id) ?? [])
      .filter((e) => e.completedAt === row.completedAt)
      .map((e) => e.kind);
    for (const kind of want) {
      const n = have.filter((k) => k === kind).length;
      if (n === 0)
        find(
          'lost',
          `search: ${row.status} result ${row.id} (${row.blobContainer}/${row.blobName}) has no ${kind}: entry`,
        );
      if (n > 1) find('duplicated', `search: ${row.id} has ${n} ${kind}: entries`);
    }
  }

  let syncUnavailable = 0;
  for (const s of ledger.syncs) {
    if (s.outcome === 'wrong')
      find('wrong', `POST /api/classify: ${s.detail}, expected ${describe(images.expected(s.content))}`);
    if (s.outcome === 'unavailable') syncUnavailable++;
  }

  const poison = await accountForPoison(connectionString, state, expectedRows, find);
  return {
    findings,
    checked: { uploads, drops, deleted, jobImages, jobs: state.jobIds.length, syncs: ledger.syncs.length },
    syncUnavailable,
    abandonedJobs,
    poison,
  };
}

/**
 * Reads every poison message and holds what it names to storage: each result it names is
 * terminal or rightly gone (not one the clients are owed, nor an image of a job that was not
 * cancelled), each listing page's job has ended, each export's files are there. The main checks
 * have held those results and jobs to the ledger; this says the poison copy left nothing
 * undone. A message that names nothing this can check (a retention step, an event) is not
 * accounted for. Messages read stay invisible for 10 minutes, so each is read once.
 */
async function accountForPoison(
  connectionString: string,
  state: StorageState,
  owed: Set<string>,
  find: (kind: FindingKind, what: string) => void,
): Promise<CheckResult['poison']> {
  const queues = QueueServiceClient.fromConnectionString(connectionString);
  const jobsTable = TableClient.fromConnectionString(connectionString, 'jobs', {
    allowInsecureConnection: true,
  });
  const jobStatus = new Map<string, string>();
  const readJob = async (id: string): Promise<string> => {
    if (!jobStatus.has(id)) {
      const row = await jobsTable
        .getEntity<{ status?: string }>(id, 'job')
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode === 404) return undefined;
          throw err;
        });
      jobStatus.set(id, row?.status ?? 'absent');
    }
    return jobStatus.get(id)!;
  };
  const undoneOf = async (queue: string, text: string): Promise<string[]> => {
    let body: {
      kind?: string;
      id?: string;
      resultId?: string;
      jobId?: string;
      images?: { resultId: string }[];
    };
    try {
      body = JSON.parse(Buffer.from(text, 'base64').toString()) as typeof body;
    } catch {
      return [`unreadable: ${text.slice(0, 60)}`];
    }
    const ids =
      body.images?.map((i) => i.resultId) ?? [body.resultId ?? body.id].filter((id) => id !== undefined);
    const job = body.jobId ? await readJob(body.jobId) : undefined;
    const undone: string[] = [];
    for (const id of ids) {
      const row = state.rows.get(id);
      const rightlyAbsent = body.jobId ? job === 'cancelled' || job === 'absent' : !owed.has(id);
      if (row ? !TERMINAL.includes(row.status) : !rightlyAbsent)
        undone.push(`result ${id} ${row?.status ?? 'absent'}`);
    }
    if (queue === 'jobs-poison' && body.kind === 'list' && job === 'running')
      undone.push(`job ${body.jobId} still running`);
    if (
      queue === 'jobs-poison' &&
      body.kind === 'export' &&
      job !== 'absent' &&
      !state.jsonBlobs.has(`jobs/${body.jobId}.jsonl`)
    )
      undone.push(`job ${body.jobId} has no export`);
    const checkable =
      ids.length > 0 || (queue === 'jobs-poison' && (body.kind === 'list' || body.kind === 'export'));
    if (!checkable) undone.push(`a ${body.kind ?? 'message'} message this cannot check`);
    return undone;
  };
  const poison: CheckResult['poison'] = [];
  for (const name of ['classify-poison', 'jobs-poison', 'events-poison']) {
    const queue = queues.getQueueClient(name);
    if (!(await queue.exists())) continue;
    let messages = 0;
    let accounted = 0;
    for (;;) {
      const { receivedMessageItems } = await queue.receiveMessages({
        numberOfMessages: 32,
        visibilityTimeout: 600,
      });
      if (receivedMessageItems.length === 0) break;
      for (const m of receivedMessageItems) {
        messages++;
        const undone = await undoneOf(name, m.messageText);
        if (undone.length === 0) accounted++;
        else find('lost', `${name}: a message with work undone (${undone.join(', ')})`);
      }
    }
    if (messages > 0) poison.push({ queue: name, messages, accounted });
  }
  return poison;
}
