/**
 * Runs decodeImage in a child process that can be killed, so CLASSIFIER_MAX_DECODE_SECONDS is
 * a hard bound. libvips checks its own timeout only between the stages of its pipeline (a
 * whole-image load ends before it is seen), and a loader that never returns holds a thread of
 * libuv's pool, which no JavaScript in the same process can take back. Here a decode past the
 * bound fails at the bound as a retryable `internal_error`; its process takes no more work and
 * is killed once its other decodes are answered (each has its own bound), and the next decode
 * starts a fresh one. A process that crashes (a decoder bug on hostile bytes) fails only the
 * decodes it held, never the caller's process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { ClassifierError } from '../errors';
import { compiledEntry } from '../paths';
import { DEFAULT_LIMITS } from './limits';
import type { DecodedImage, DecodeOptions } from './decodeImage';
import type { DecodeReply, DecodeRequest, DecoderFault, DecoderStatus } from './decoderProtocol';

interface Pending {
  resolve: (decoded: DecodedImage) => void;
  reject: (err: Error) => void;
}

interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  pending: Map<number, Pending>;
  /** Set once it exited or was retired: it takes no new decodes. */
  ended: boolean;
}

const retryable = (message: string): ClassifierError =>
  new ClassifierError('internal_error', message, { retryable: true });

export class DecoderProcess {
  private current: Child | undefined;
  private readonly children = new Set<Child>();
  private nextId = 0;
  private held = 0;
  private fault: DecoderFault | undefined;
  private closed = false;

  constructor() {
    const fault = /^(exit|hang)-after:(\d+)$/.exec(process.env.DECODE_FAULTS ?? '');
    if (fault) this.fault = { kind: fault[1] as DecoderFault['kind'], afterDecodes: Number(fault[2]) };
  }

  /** Starts the process now (so it starts beside the model's load) and waits until it answers. */
  async start(): Promise<void> {
    this.hold();
    try {
      await this.child().ready;
    } finally {
      this.release();
    }
  }

  /** The running process's id (tests check that a retired one is gone). */
  get pid(): number | undefined {
    return this.current?.process.pid;
  }

  async decode(bytes: Buffer, options: DecodeOptions): Promise<DecodedImage> {
    if (this.closed) throw retryable('The decoder was closed.');
    this.hold();
    try {
      const child = this.child();
      await child.ready;
      return await this.send(child, bytes, options);
    } finally {
      this.release();
    }
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
      const timer = setTimeout(() => {
        child.pending.delete(id);
        reject(
          retryable(
            `Decoding the image took longer than ${seconds} s; it is retried, and its decoder process is replaced.`,
          ),
        );
        this.retire(child);
      }, seconds * 1000);
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          fn(value);
        };
      child.pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      const request: DecodeRequest = { id, bytes, options };
      child.process.send(request, (err) => {
        if (err) child.pending.get(id)?.reject(retryable(`The decoder process is gone: ${err.message}`));
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
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const pending = new Map<number, Pending>();
    const ready = new Promise<void>((resolve, reject) => {
      proc.once('message', (status: DecoderStatus) => status.ready && resolve());
      proc.once('exit', (code, signal) =>
        reject(retryable(`The decoder process failed to start (${signal ?? code}).`)),
      );
    });
    ready.catch(() => undefined); // the decode awaiting it reports the failure
    const child: Child = { process: proc, ready, pending, ended: false };
    proc.on('message', (reply: DecodeReply) => {
      const waiting = pending.get(reply.id);
      if (!waiting) return;
      pending.delete(reply.id);
      if (reply.decoded) {
        const { pixels } = reply.decoded;
        waiting.resolve({
          ...reply.decoded,
          pixels: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength),
        });
      } else if (reply.error) {
        const { code, message } = reply.error;
        waiting.reject(new ClassifierError(code, message, { retryable: reply.error.retryable }));
      }
      if (child.ended && pending.size === 0) void this.kill(child);
    });
    proc.on('exit', (code, signal) => {
      child.ended = true;
      this.children.delete(child);
      if (this.current === child) this.current = undefined;
      const err = retryable(`The decoder process exited (${signal ?? code}); the image is retried.`);
      for (const waiting of pending.values()) waiting.reject(err);
      pending.clear();
    });
    proc.on('error', () => undefined); // a failed kill or send; 'exit' and the send callback report
    this.children.add(child);
    this.current = child;
    this.refresh(child);
    return child;
  }

  /** Takes no more work from `child`; it is killed once what it holds is answered or timed out. */
  private retire(child: Child): void {
    child.ended = true;
    if (this.current === child) this.current = undefined;
    if (child.pending.size === 0) void this.kill(child);
  }

  private kill(child: Child): Promise<void> {
    child.ended = true;
    if (child.process.exitCode !== null || child.process.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.process.ref(); // a caller awaiting this must not see the event loop run dry
      child.process.once('exit', () => resolve());
      child.process.kill('SIGKILL'); // a process stuck in native code ignores nothing else reliably
    });
  }

  // Referenced only while a decode is out: an idle decoder must not keep a finished CLI alive.
  private hold(): void {
    this.held++;
    for (const child of this.children) this.refresh(child);
  }

  private release(): void {
    this.held--;
    for (const child of this.children) this.refresh(child);
  }

  private refresh(child: Child): void {
    if (this.held > 0) {
      child.process.ref();
      child.process.channel?.ref();
    } else {
      child.process.unref();
      child.process.channel?.unref();
    }
  }
}
