/**
 * Runs decodeImage in a child process that can be killed, so CLASSIFIER_MAX_DECODE_SECONDS is
 * a hard bound. libvips checks its own timeout only between the stages of its pipeline (a
 * whole-image load ends before it is seen), and a loader that never returns holds a thread of
 * libuv's pool, which no JavaScript in the same process can take back. Here a decode past the
 * bound fails at the bound as a retryable `internal_error`; its process takes no more work and
 * is killed once its other decodes are answered (each has its own bound), and the next decode
 * starts a fresh one. A process that crashes (a decoder bug on hostile bytes) or cannot be
 * started fails only the decodes it held, as retryable, never the caller's process.
 *
 * One per process, shared by every model (Models hands it to each Classifier). At most
 * `concurrency` decodes are out at once, and the child's libuv pool has a thread for each, so
 * a decode's bound never counts time spent queued inside the child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { Semaphore } from '../concurrency';
import { ClassifierError } from '../errors';
import { compiledEntry } from '../paths';
import { DEFAULT_LIMITS } from './limits';
import type { DecodedImage, DecodeOptions } from './decodeImage';
import type { DecodeReply, DecodeRequest, DecoderFault, DecoderStatus } from './decoderProtocol';

export interface DecoderProcessOptions {
  /**
   * Decodes out at once (default: 4 per core). Each decode now also waits for its bytes and
   * pixels to cross the pipe, so more must be out to keep the cores busy: on 2 cores the CLI
   * pipeline ran at 84 images/s with 3 out, 97-114 with 6 and 122-124 with 8 or 12 in one series
   * of runs; side by side with the in-process decoder it replaced, 8 gave the same (docs/performance.md).
   */
  concurrency?: number;
  /** Longest the child may take to start and load sharp (default 30 s). */
  startTimeoutMs?: number;
}

interface Pending {
  resolve: (decoded: DecodedImage) => void;
  reject: (err: Error) => void;
}

interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  pending: Map<number, Pending>;
  /** Exited, failed to start or retired: it takes no new decodes. */
  ended: boolean;
}

const retryable = (message: string, cause?: unknown): ClassifierError =>
  new ClassifierError('internal_error', message, { retryable: true, cause });

/**
 * What the child may see of the environment: libvips's and glib's own settings and what a
 * process needs to run, never the app's connection strings and keys (it reads hostile bytes).
 */
function childEnvironment(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: String(threads) };
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(VIPS_|G_)|^(PATH|HOME|TMPDIR|TMP|TEMP|LANG|LC_ALL|LD_LIBRARY_PATH|NODE_OPTIONS)$/.test(name))
      env[name] = value;
  }
  return env;
}

export class DecoderProcess {
  private current: Child | undefined;
  private readonly children = new Set<Child>();
  private readonly slots: Semaphore;
  private readonly concurrency: number;
  private readonly startTimeoutMs: number;
  /** Decodes (or a start) out for each child. */
  private readonly holds = new WeakMap<Child, number>();
  private nextId = 0;
  private fault: DecoderFault | undefined;
  private closed = false;

  constructor(options: DecoderProcessOptions = {}) {
    this.concurrency = options.concurrency ?? os.availableParallelism() * 4;
    this.slots = new Semaphore(this.concurrency);
    this.startTimeoutMs = options.startTimeoutMs ?? 30_000;
    const fault = /^(exit|hang)-after:(\d+)$/.exec(process.env.DECODE_FAULTS ?? '');
    if (fault) this.fault = { kind: fault[1] as DecoderFault['kind'], afterDecodes: Number(fault[2]) };
  }

  /** Starts the process now (so it starts beside the model's load) and waits until it answers. */
  async start(): Promise<void> {
    if (this.closed) throw retryable('The decoder was closed.');
    const child = this.child();
    this.ref(child, +1);
    try {
      await child.ready;
    } finally {
      this.ref(child, -1);
    }
  }

  /** The running process's id (tests check that a retired one is gone). */
  get pid(): number | undefined {
    return this.current?.process.pid;
  }

  decode(bytes: Buffer, options: DecodeOptions): Promise<DecodedImage> {
    return this.slots.run(async () => {
      if (this.closed) throw retryable('The decoder was closed.');
      const child = this.child();
      this.ref(child, +1);
      try {
        await child.ready;
        return await this.send(child, bytes, options);
      } finally {
        this.ref(child, -1);
      }
    });
  }

  /** Kills every decoder process; decodes still out fail as retryable. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.children].map((child) => this.kill(child)));
  }

  private send(child: Child, bytes: Buffer, options: DecodeOptions): Promise<DecodedImage> {
    const seconds = options.limits.maxDecodeSeconds ?? DEFAULT_LIMITS.maxDecodeSeconds!;
    return new Promise((resolve, reject) => {
      if (child.ended) return reject(retryable('The decoder process ended before this image was sent.'));
      const id = this.nextId++;
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          child.pending.delete(id);
          fn(value);
          if (child.ended && child.pending.size === 0) void this.kill(child);
        };
      const pending: Pending = { resolve: settle(resolve), reject: settle(reject) };
      const timer = setTimeout(() => {
        this.retire(child);
        pending.reject(
          retryable(
            `Decoding the image took longer than ${seconds} s; it is retried, and its decoder process is replaced.`,
          ),
        );
      }, seconds * 1000);
      child.pending.set(id, pending);
      const request: DecodeRequest = { id, bytes, options };
      child.process.send(request, (err) => {
        if (err) {
          this.retire(child);
          pending.reject(retryable(`The decoder process is gone: ${err.message}`, err));
        }
      });
    });
  }

  /** The process taking new decodes, started if there is none. */
  private child(): Child {
    if (this.current && !this.current.ended) return this.current;
    let entry: string;
    try {
      entry = compiledEntry(__dirname, 'decoderChild.js');
    } catch (err) {
      throw new ClassifierError('internal_error', (err as Error).message);
    }
    // The fault hook breaks the first process only.
    const args = this.fault ? [JSON.stringify(this.fault)] : [];
    this.fault = undefined;
    const proc = fork(entry, args, {
      serialization: 'advanced', // Buffers cross as bytes, not as JSON arrays
      execArgv: [],
      env: childEnvironment(Math.max(4, this.concurrency)),
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'], // stdout may be the CLI's results
    });
    const child: Child = { process: proc, ready: Promise.resolve(), pending: new Map(), ended: false };
    child.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(retryable(`The decoder process did not start within ${this.startTimeoutMs / 1000} s.`));
        this.retire(child);
      }, this.startTimeoutMs);
      timer.unref();
      proc.once('message', (status: DecoderStatus) => {
        clearTimeout(timer);
        if (status.ready) resolve();
      });
      // 'exit' before ready, or 'error' without a pid: a fork that failed (ENOENT, EAGAIN, EMFILE) never exits.
      const failed = (why: string) => {
        clearTimeout(timer);
        reject(retryable(`The decoder process failed to start (${why}).`));
      };
      proc.once('exit', (code, signal) => failed(String(signal ?? code)));
      proc.once('error', (err) => proc.pid === undefined && failed(err.message));
    });
    child.ready.catch(() => this.end(child, undefined)); // the decode awaiting it reports the failure
    proc.on('message', (reply: DecodeReply) => {
      const waiting = child.pending.get(reply.id);
      if (reply.decoded) waiting?.resolve(reply.decoded);
      else if (reply.error) {
        const { code, message } = reply.error;
        waiting?.reject(new ClassifierError(code, message, { retryable: reply.error.retryable }));
      }
    });
    proc.on('exit', (code, signal) =>
      this.end(child, retryable(`The decoder process exited (${signal ?? code}); the image is retried.`)),
    );
    proc.on('error', () => undefined); // a failed kill or send: 'exit', 'ready' and the send callback report
    proc.on('disconnect', () => this.retire(child)); // it can answer nothing more
    this.children.add(child);
    this.current = child;
    this.ref(child, 0);
    return child;
  }

  /** Forgets `child`, failing what it still held (with `err`, when given). */
  private end(child: Child, err: Error | undefined): void {
    child.ended = true;
    this.children.delete(child);
    if (this.current === child) this.current = undefined;
    for (const waiting of child.pending.values())
      waiting.reject(err ?? retryable('The decoder process ended.'));
  }

  /** Takes no more work from `child`; it is killed once what it holds is answered or timed out. */
  private retire(child: Child): void {
    child.ended = true;
    if (this.current === child) this.current = undefined;
    if (child.pending.size === 0) void this.kill(child);
  }

  private kill(child: Child): Promise<void> {
    child.ended = true;
    const proc = child.process;
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) {
      this.end(child, undefined);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      proc.ref(); // a caller awaiting this must not see the event loop run dry
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL'); // a process stuck in native code reliably ends only this way
    });
  }

  /**
   * Keeps the child referenced while a decode (or a start) is out for it, and only then: an
   * idle decoder must not keep a finished CLI alive, and a busy one must keep it up for the answer.
   */
  private ref(child: Child, delta: number): void {
    const holds = (this.holds.get(child) ?? 0) + delta;
    this.holds.set(child, holds);
    if (holds > 0) {
      child.process.ref();
      child.process.channel?.ref();
    } else {
      child.process.unref();
      child.process.channel?.unref();
    }
  }
}
