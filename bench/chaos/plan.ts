/**
 * What a chaos run will do, decided before it starts from one seed (bench/chaos/run.ts): which
 * door each image goes through, what is rewritten, deleted or repeated, and when each fault
 * strikes. Pure and deterministic, so a seed reproduces a schedule (the interleavings it finds
 * are real time's, and differ from run to run).
 */

/** mulberry32: small, fast, and the same sequence for a seed on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Door = 'upload' | 'drop' | 'job' | 'sync';

export type Hostile = 'text' | 'svg' | 'corrupt-png' | 'huge-png';
export const HOSTILE_KINDS: readonly Hostile[] = ['text', 'svg', 'corrupt-png', 'huge-png'];

/** One image's bytes: a photo of the pool made unique (or repeated on purpose), or a hostile file. */
export type Content = { photo: number; repeatOf?: number } | { hostile: Hostile };

/** A drop-folder name's life: written, maybe rewritten with other bytes, maybe deleted. */
export interface DropPlan {
  name: string;
  writes: Content[];
  /** Deleted after its last write: at once (before it can be classified) or later. */
  deleted?: 'at-once' | 'later';
}

export interface JobPlan {
  prefix: string;
  images: Content[];
  /** When it is submitted, as a fraction of the fault phase. */
  at: number;
  /** Cancelled this many seconds after it was created. */
  cancelAfterSeconds?: number;
}

export type FaultKind = 'kill' | 'azurite-restart' | 'storage-503' | 'storage-drop' | 'decoder-kill';
export const FAULT_KINDS: readonly FaultKind[] = [
  'kill',
  'azurite-restart',
  'storage-503',
  'storage-drop',
  'decoder-kill',
];

export interface Fault {
  /** Seconds from the start of the fault phase. */
  at: number;
  kind: FaultKind;
  /** Which app instance (kill, decoder-kill). */
  instance?: 0 | 1;
  /** How long the instance, Azurite or the storage window stays down, seconds. */
  seconds?: number;
}

export interface ChaosPlan {
  seed: number;
  uploads: Content[];
  drops: DropPlan[];
  jobs: JobPlan[];
  syncs: Content[];
  faults: Fault[];
}

export interface PlanOptions {
  seed: number;
  images: number;
  /** Length of the fault phase, seconds. */
  seconds: number;
  /** Photos in the pool. */
  photos: number;
}

/** Share of the images each door gets (the rest are synchronous calls). */
const SHARES = { drop: 0.4, upload: 0.25, job: 0.25 } as const;
const HOSTILE_SHARE = 0.02;
const REPEAT_SHARE = 0.05;
const REWRITE_SHARE = 0.08;
const DELETE_SHARE = 0.05;

/**
 * The rates for a full run: an instance killed every 10–40 s, Azurite restarted every
 * 1–3 minutes, storage refusing or dropping connections for 1–5 s every 15–45 s, a decoder
 * child killed every 20–60 s. A run shorter than 7.5 minutes kills more often (every 10–20 s at
 * 100 s) and restarts Azurite every 40–50 s, so a 100 s run still sees five kills and two restarts.
 */
export function planFaults(random: () => number, seconds: number): Fault[] {
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const faults: Fault[] = [];
  const every = (kind: FaultKind, lo: number, hi: number, first: number, make: () => Partial<Fault>) => {
    for (let at = first; at < seconds; at += between(lo, hi)) faults.push({ at: round(at), kind, ...make() });
  };
  const instance = (): 0 | 1 => (random() < 0.5 ? 0 : 1);
  const scale = Math.min(1, seconds / 450);
  every('kill', 10, Math.max(20, 40 * scale), between(5, 15), () => ({
    instance: instance(),
    seconds: round(between(1, 5)),
  }));
  every('azurite-restart', Math.max(40, 60 * scale), Math.max(50, 180 * scale), between(10, 30), () => ({
    seconds: round(between(2, 6)),
  }));
  every('storage-503', 15, 45, between(5, 20), () => ({ seconds: round(between(1, 5)) }));
  every('storage-drop', 15, 45, between(10, 30), () => ({ seconds: round(between(1, 3)) }));
  every('decoder-kill', 20, 60, between(5, 20), () => ({ instance: instance() }));
  return faults.sort((a, b) => a.at - b.at);
}

export function makePlan(options: PlanOptions): ChaosPlan {
  const random = seededRandom(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const content = (): Content => {
    if (random() < HOSTILE_SHARE) return { hostile: HOSTILE_KINDS[pick(HOSTILE_KINDS.length)] };
    return { photo: pick(options.photos) };
  };
  const count = (share: number) => Math.round(options.images * share);

  const uploads = Array.from({ length: count(SHARES.upload) }, content);

  const drops: DropPlan[] = [];
  for (let i = 0; i < count(SHARES.drop); i++) {
    const first = content();
    // Some bytes are sent twice on purpose, under another name, to go through reuse by content.
    const earlier = drops.length > 0 ? drops[pick(drops.length)].writes[0] : undefined;
    const repeated =
      earlier && 'photo' in earlier && earlier.repeatOf === undefined && random() < REPEAT_SHARE
        ? { photo: earlier.photo, repeatOf: drops.findIndex((d) => d.writes[0] === earlier) }
        : undefined;
    const plan: DropPlan = { name: `chaos/${String(i).padStart(5, '0')}.jpg`, writes: [repeated ?? first] };
    if (random() < REWRITE_SHARE) {
      const times = 1 + pick(2);
      for (let k = 0; k < times; k++) plan.writes.push(content());
    }
    if (random() < DELETE_SHARE) plan.deleted = random() < 0.4 ? 'at-once' : 'later';
    drops.push(plan);
  }

  const jobImages = count(SHARES.job);
  const sizes = [0.45, 0.35, 0.2].map((s) => Math.round(jobImages * s));
  const jobs: JobPlan[] = sizes.map((size, k) => ({
    prefix: `job-${k}/`,
    images: Array.from({ length: size }, content),
    at: [0.05, 0.3, 0.55][k],
    // The last job is cancelled while it runs.
    cancelAfterSeconds: k === 2 ? round(3 + random() * 5) : undefined,
  }));

  const used = uploads.length + drops.length + jobImages;
  const syncs = Array.from({ length: Math.max(0, options.images - used) }, content);
  return { seed: options.seed, uploads, drops, jobs, syncs, faults: planFaults(random, options.seconds) };
}

const round = (x: number) => Math.round(x * 10) / 10;
