/**
 * `npm run chaos`: images through every door at once (bench/chaos/doors.ts) while app
 * instances, their decoders and storage are killed, restarted and cut off on a seeded schedule
 * (bench/chaos/plan.ts), then an independent check of what storage and the API hold
 * (bench/chaos/check.ts). Bounded and self-stopping; loopback only; its own Azurite, on disk.
 *
 *   CHAOS_IMAGES   images in all (default 10000)
 *   CHAOS_SECONDS  length of the fault phase (default 720); the clients spread their images over it
 *   CHAOS_SEED     the schedule's seed (default: the time); the same seed, the same plan
 *
 * Phases: start the stack and write the jobs' images; the fault phase (every door and every
 * fault); drain (faults stop; at most CHAOS_DRAIN_SECONDS, default 300, for what is in flight
 * to end); check. Prints a summary, writes the whole report to bench/results/chaos-<seed>-<time>.json
 * (each instance's log beside it, -instance-0.log and -instance-1.log), and exits 1 when anything was lost, duplicated, wrong or stuck, or memory passed its bound.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/lib/paths';
import { processTree } from '../procTree';
import { startChaosStack, type ChaosStack } from './chaosStack';
import { check, readState, unsettled, type FindingKind } from './check';
import { clientErrors, runDoors, writeJobSources, type Ledger } from './doors';
import { prepareImages } from './images';
import { FAULT_KINDS, makePlan, type Fault, type FaultKind } from './plan';

const num = (name: string, fallback: number): number => {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not "${value}".`);
  return n;
};

const IMAGES = num('CHAOS_IMAGES', 10_000);
const SECONDS = num('CHAOS_SECONDS', 720);
const SEED = num('CHAOS_SEED', Date.now() % 1_000_000);
const DRAIN_SECONDS = num('CHAOS_DRAIN_SECONDS', 300);
/** Each instance, its process and its decoder together (Pss). */
const MEMORY_BOUND_MB = num('CHAOS_MEMORY_MB', 1536);
const POOL = 48;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string): void => void process.stdout.write(`${line}\n`);
const elapsed = (since: number) => `${Math.round((Date.now() - since) / 1000)} s`;

/** Applies the schedule until the phase ends; one fault of each kind at a time (a kill waits for the restart). */
async function runFaults(stack: ChaosStack, faults: Fault[], startedAt: number, stop: { done: boolean }) {
  const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  // One storage window at a time (a 503 and a reset window do not overlap).
  const busy = new Set<string>();
  const running: Promise<void>[] = [];
  for (const fault of faults) {
    const due = startedAt + fault.at * 1000;
    while (Date.now() < due && !stop.done) await sleep(Math.min(500, due - Date.now()));
    if (stop.done) break;
    const key = fault.kind === 'kill' ? 'kill' : fault.kind.startsWith('storage') ? 'storage' : fault.kind;
    if (fault.kind !== 'decoder-kill' && busy.has(key)) continue;
    busy.add(key);
    injected[fault.kind]++;
    const apply = async (): Promise<void> => {
      switch (fault.kind) {
        case 'kill':
          return stack.killInstance(fault.instance!, fault.seconds!);
        case 'azurite-restart':
          return stack.restartAzurite(fault.seconds!);
        case 'storage-503':
        case 'storage-drop':
          stack.storageMode(fault.kind === 'storage-503' ? '503' : 'drop');
          await sleep(fault.seconds! * 1000);
          stack.storageMode('pass');
          return;
        case 'decoder-kill':
          if (!stack.killDecoder(fault.instance!)) injected[fault.kind]--;
      }
    };
    running.push(
      apply()
        .catch((err: unknown) =>
          log(`chaos: ${fault.kind} at ${fault.at} s failed: ${(err as Error).message}`),
        )
        .finally(() => busy.delete(key)),
    );
  }
  await Promise.all(running);
  return injected;
}

async function main(): Promise<void> {
  const runStarted = Date.now();
  // Self-stopping whatever happens: a run that outlives every phase's bound by ten minutes has hung.
  const limitMs = (SECONDS * 3 + DRAIN_SECONDS + 600) * 1000;
  setTimeout(() => {
    process.stderr.write(`chaos: still running after ${limitMs / 1000} s; stopping (a hang is a failure).\n`);
    // Nothing it started is left behind: Azurite, the instances and their decoders.
    for (const pid of processTree(process.pid).slice(1).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    process.exit(2);
  }, limitMs).unref();
  const plan = makePlan({ seed: SEED, images: IMAGES, seconds: SECONDS, photos: POOL });
  log(`chaos: seed ${SEED}, ${IMAGES} images, ${SECONDS} s of faults (${plan.faults.length} scheduled)`);
  const images = await prepareImages(SEED, POOL);
  const location = mkdtempSync(path.join(os.tmpdir(), 'chaos-azurite-'));
  const out = path.join(PROJECT_ROOT, 'bench/results');
  mkdirSync(out, { recursive: true });
  const name = `chaos-${SEED}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const stack = await startChaosStack({
    location,
    logPrefix: path.join(out, `${name}-instance-`),
    env: {
      // A message held by a killed instance comes back after this lease (the local host's knob;
      // the real host's is 10 minutes, renewed): short, so the run sees many takeovers.
      LOCAL_QUEUE_LEASE_SECONDS: '15',
      // A claim's lease is the function timeout: work whose instance died mid-way is taken over
      // when it ends. A minute (host.json says 5), so recoveries fit the run.
      AzureFunctionsJobHost__functionTimeout: '00:01:00',
      ORT_DISABLE_TELEMETRY: '1',
    },
  });
  const ledger: Ledger = { uploads: [], drops: [], jobs: [], syncs: [] };
  let exitCode: number;
  try {
    await writeJobSources(stack, images, plan);
    log(
      `chaos: stack up and ${plan.jobs.reduce((n, j) => n + j.images.length, 0)} job images written in ${elapsed(runStarted)}`,
    );

    const startedAt = Date.now();
    const stop = { done: false };
    const spreadMs = SECONDS * 800; // the clients' images over 80% of the phase
    const progress = setInterval(
      () =>
        log(
          `chaos: ${elapsed(startedAt)}: uploads ${ledger.uploads.length}/${plan.uploads.length}, drop ${ledger.drops.length}/${plan.drops.length}, sync ${ledger.syncs.length}/${plan.syncs.length}, instances up ${stack.liveUrls().length}`,
        ),
      30_000,
    );
    const doors = runDoors({ stack, images, plan, spreadMs, startedAt }, ledger);
    const faults = runFaults(stack, plan.faults, startedAt, stop);
    // Clients behind their schedule finish after the phase (its faults all applied by then).
    await doors;
    while (Date.now() - startedAt < SECONDS * 1000) await sleep(500);
    stop.done = true;
    const injected = await faults;
    stack.storageMode('pass');
    clearInterval(progress);
    const faultPhaseSeconds = (Date.now() - startedAt) / 1000;
    log(`chaos: fault phase over after ${elapsed(startedAt)}; draining`);

    const drainStarted = Date.now();
    let open: string[] = [];
    for (;;) {
      open = await unsettled(stack, ledger, await readState(stack.connectionString));
      if (open.length === 0 || Date.now() - drainStarted > DRAIN_SECONDS * 1000) break;
      await sleep(3000);
    }
    const drainSeconds = (Date.now() - drainStarted) / 1000;
    log(
      `chaos: drained in ${Math.round(drainSeconds)} s${open.length ? ` with ${open.length} still open` : ''}; checking`,
    );
    const result = await check(stack, ledger, images);
    const poisonCauses = stack.poisonCauses();
    // The app exiting by itself, or a client failing, is a finding too.
    for (const crash of stack.crashes()) result.findings.push({ kind: 'wrong', what: crash });
    for (const err of clientErrors.slice(0, 20))
      result.findings.push({ kind: 'wrong', what: `client: ${err}` });
    const count = (kind: FindingKind) => result.findings.filter((f) => f.kind === kind).length;
    const sent = {
      upload: ledger.uploads.filter((u) => u.accepted).length,
      uploadRefused: ledger.uploads.filter((u) => u.refused).length,
      uploadUnconfirmed: ledger.uploads.filter((u) => u.unconfirmed).length,
      drop: ledger.drops.reduce((n, d) => n + d.etags.length, 0),
      dropNames: ledger.drops.length,
      deleted: ledger.drops.filter((d) => d.deleted).length,
      job: plan.jobs.reduce((n, j) => n + j.images.length, 0),
      sync: ledger.syncs.length,
    };
    const total = sent.upload + sent.drop + sent.job + sent.sync;
    const latencies = ledger.uploads
      .flatMap((u) => (u.latencyMs === undefined ? [] : [u.latencyMs]))
      .sort((a, b) => a - b);
    const peakMb = stack.peakMb();
    const memoryOk = peakMb.every((mb) => mb <= MEMORY_BOUND_MB);
    const report = {
      seed: SEED,
      images: IMAGES,
      faultSeconds: SECONDS,
      sent,
      faults: { scheduled: plan.faults.length, injected, instanceRestarts: stack.restarts() },
      checked: result.checked,
      lost: count('lost'),
      duplicated: count('duplicated'),
      wrong: count('wrong'),
      stuck: count('stuck'),
      findings: result.findings.slice(0, 200),
      poison: result.poison,
      poisonCauses,
      syncUnavailable: result.syncUnavailable,
      abandonedJobs: result.abandonedJobs,
      uploadLatencyMs: {
        p50: latencies[Math.floor(latencies.length * 0.5)],
        p95: latencies[Math.floor(latencies.length * 0.95)],
        max: latencies.at(-1),
      },
      peakMemoryMb: peakMb,
      memoryBoundMb: MEMORY_BOUND_MB,
      wallSeconds: Math.round((Date.now() - runStarted) / 1000),
      faultPhaseSeconds: Math.round(faultPhaseSeconds),
      drainSeconds: Math.round(drainSeconds),
      imagesPerSecond: Math.round((total / (faultPhaseSeconds + drainSeconds)) * 10) / 10,
      appErrorLines: stack.errorLines().slice(0, 100),
    };
    const file = path.join(out, `${name}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2));
    log('');
    log(
      `chaos seed ${SEED}: ${total} images in ${report.wallSeconds} s (${report.imagesPerSecond} images/s under faults)`,
    );
    log(
      `  sent: ${sent.upload} uploads (${sent.uploadRefused} tickets refused, ${sent.uploadUnconfirmed} PUTs unconfirmed), ${sent.drop} drop-folder writes to ${sent.dropNames} names (${sent.deleted} deleted), ${sent.job} job images in ${plan.jobs.length} jobs, ${sent.sync} synchronous calls`,
    );
    log(`  faults: ${FAULT_KINDS.map((k) => `${injected[k]} ${k}`).join(', ')}`);
    log(
      `  checked: ${result.checked.uploads} uploads, ${result.checked.drops} drop names (+${result.checked.deleted} deleted), ${result.checked.jobImages} job images in ${result.checked.jobs} jobs (${result.abandonedJobs} whose POST failed, recorded failed), ${result.checked.syncs} synchronous calls (${result.syncUnavailable} answered 5xx or not at all)`,
    );
    log(
      `  lost ${report.lost}, duplicated ${report.duplicated}, wrong ${report.wrong}, stuck ${report.stuck}`,
    );
    log(
      `  poison: ${result.poison.map((p) => `${p.queue} ${p.messages} (${p.accounted} naming only finished work)`).join(', ') || 'none'}${
        Object.keys(poisonCauses).length > 0
          ? `; moved there as ${Object.entries(poisonCauses)
              .map(([why, n]) => `${n} ${why}`)
              .join(', ')}`
          : ''
      }`,
    );
    log(
      `  peak memory per instance: ${peakMb.map((mb) => `${mb} MB`).join(', ')} (bound ${MEMORY_BOUND_MB} MB)`,
    );
    for (const f of result.findings.slice(0, 20)) log(`  ${f.kind}: ${f.what}`);
    log(`  report: ${path.relative(PROJECT_ROOT, file)} (the instances' logs beside it)`);
    const clean = result.findings.length === 0 && memoryOk;
    exitCode = clean ? 0 : 1;
  } finally {
    await stack.stop();
    rmSync(location, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
