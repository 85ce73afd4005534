/**
 * The model for one process: weights verified (or downloaded) once, one ONNX Runtime session,
 * warmed up, run on batches of decoded crops. By default the session lives on its own
 * inference thread (see inferenceThread.ts for why); `thread: 'main'` keeps it on the calling
 * thread, which is what a one-image-at-a-time loop wants.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ClassifierError } from '../errors';
import { compiledEntry } from '../paths';
import { intFromEnv } from '../env';
import type { InferenceReply, InferenceThreadData, ThreadStatus } from './inferenceProtocol';
import type { LoadedManifest } from './manifest';
import { ensureModelFile, type ModelFileOptions } from './modelFile';
import { u8s8IsExact } from './int8Weights';
import { OrtRunner, type RunnerInfo } from './ortRunner';

export interface ModelSessionOptions extends ModelFileOptions {
  /** Threads for one inference (intra-op); default: every core this process may use. */
  threads?: number;
  /** Let idle inference threads spin (onnxruntime's default); off unless asked, see OrtRunner. */
  allowSpinning?: boolean;
  /** Where the session runs (default 'worker': its own thread). */
  thread?: 'worker' | 'main';
  /**
   * Longest a batch may take on the inference thread before the thread is taken for hung,
   * ended, and started again by the next batch (default CLASSIFIER_INFERENCE_TIMEOUT_SECONDS, 60).
   */
  inferenceTimeoutMs?: number;
  /** Whether this CPU adds u8s8 products exactly (default: u8s8IsExact(), read from the CPU). */
  u8s8Exact?: boolean;
}

/** Runs `count` crops laid end to end; resolves to `count` probability rows laid end to end. */
type RunBatch = (pixels: Uint8Array, count: number) => Promise<Float32Array>;

export class ModelSession {
  private constructor(
    readonly manifest: LoadedManifest,
    readonly modelPath: string,
    private readonly runBatch: RunBatch,
    private readonly close: () => Promise<void>,
    /** How the session computes its answers (see int8Weights.ts). */
    readonly info: RunnerInfo,
  ) {
    if (info.warning) process.emitWarning(info.warning, { code: 'CLASSIFIER_INT8_SATURATION' });
  }

  /** Verifies (or downloads) the weights, creates the session and runs one warm-up pass. */
  static async create(manifest: LoadedManifest, options: ModelSessionOptions = {}): Promise<ModelSession> {
    disableOrtTelemetry();
    const modelPath = await ensureModelFile(manifest, options);
    const data: InferenceThreadData = {
      manifest: {
        id: manifest.id,
        input: manifest.input,
        output: manifest.output,
        preprocessing: manifest.preprocessing,
        classes: manifest.labelNames.length,
      },
      options: {
        modelPath,
        threads: options.threads ?? os.availableParallelism(),
        allowSpinning: !!options.allowSpinning,
        int8: manifest.int8 ?? 'u8-weights',
        u8s8Exact: options.u8s8Exact ?? u8s8IsExact(),
      },
    };
    if (options.thread === 'main') {
      const runner = await OrtRunner.create(data.manifest, data.options);
      return new ModelSession(
        manifest,
        modelPath,
        (pixels, count) => runner.run(pixels, count),
        async () => undefined,
        runner.info,
      );
    }
    const fault = /^(exit|hang)-after:(\d+)$/.exec(process.env.INFERENCE_FAULTS ?? '');
    if (fault) data.fault = { kind: fault[1] as 'exit' | 'hang', afterBatches: Number(fault[2]) };
    const timeoutMs =
      options.inferenceTimeoutMs ?? intFromEnv('CLASSIFIER_INFERENCE_TIMEOUT_SECONDS', 60) * 1000;
    const thread = await healingThread(data, timeoutMs);
    return new ModelSession(manifest, modelPath, thread.run, thread.close, thread.info);
  }

  /** One forward pass over crops of input size; returns one probability vector per image. */
  async run(crops: Buffer[]): Promise<Float32Array[]> {
    const size = crops[0]?.length ?? 0;
    const pixels = new Uint8Array(size * crops.length);
    crops.forEach((crop, i) => pixels.set(crop, i * size));
    const probabilities = await this.runBatch(pixels, crops.length);
    const classes = probabilities.length / crops.length;
    return crops.map((_, i) => probabilities.subarray(i * classes, (i + 1) * classes));
  }

  /** Ends the inference thread (tests and short-lived tools; a server keeps it for its life). */
  dispose(): Promise<void> {
    return this.close();
  }

  /** The sha256 the manifest pins, which ensureModelFile has verified. */
  get sha256(): string {
    return this.manifest.sha256;
  }
}

/**
 * onnxruntime 1.2x+ on Linux starts a telemetry logger with each environment: it reads
 * /etc/machine-id and /proc/self/cmdline, matches them with libstdc++ regexes that backtrack
 * on the stack, and would upload over HTTPS. A long command line (`npx classify` over a few
 * hundred files named by the shell) overflows the stack there: a segfault before the first
 * image, on the inference thread's 4 MB stack from about 20 kB of arguments. Its documented
 * switch, read with getenv when the environment is created, turns all of it off; it is set
 * here, on the thread that starts the inference thread, since a worker's process.env is a copy
 * that never reaches getenv. An explicit setting of the user's is kept.
 */
function disableOrtTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
}

/** The compiled thread entry; from the TypeScript sources (tests) the built copy is used. */
function threadEntry(): string {
  try {
    return compiledEntry(__dirname, 'inferenceThread.js');
  } catch (err) {
    throw new ClassifierError('internal_error', (err as Error).message);
  }
}

/**
 * The inference thread, started again by the next batch after it died (a native crash, an
 * exit, out of memory): the batches it held fail as retryable `internal_error` and their
 * messages are retried, and the process never keeps a dead session that fails every message
 * into poison until someone restarts it.
 */
async function healingThread(
  data: InferenceThreadData,
  timeoutMs: number,
): Promise<{ run: RunBatch; close: () => Promise<void>; info: RunnerInfo }> {
  let current = await startThread(data, timeoutMs);
  let replacing: Promise<InferenceThread> | undefined;
  let closed = false;
  const run: RunBatch = async (pixels, count) => {
    if (current.dead() && !closed) {
      // The fault hook breaks the first thread only.
      replacing ??= startThread({ ...data, fault: undefined }, timeoutMs).finally(
        () => (replacing = undefined),
      );
      current = await replacing.catch((err: unknown) => {
        // Not the image's fault: its message is retried, and the next batch tries again.
        throw new ClassifierError(
          'internal_error',
          `Restarting the inference thread failed: ${(err as Error).message}`,
          {
            retryable: true,
            cause: err,
          },
        );
      });
    }
    return current.run(pixels, count);
  };
  return {
    run,
    close: () => {
      closed = true;
      return current.close();
    },
    info: current.info,
  };
}

interface InferenceThread {
  run: RunBatch;
  close: () => Promise<void>;
  /** The thread has crashed or exited: it answers nothing more. */
  dead: () => boolean;
  info: RunnerInfo;
}

async function startThread(data: InferenceThreadData, timeoutMs: number): Promise<InferenceThread> {
  const worker = new Worker(threadEntry(), { workerData: data });
  const pending = new Map<number, { resolve: (p: Float32Array) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;
  const failAll = (err: Error): void => {
    failure = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const info = await new Promise<RunnerInfo>((resolve, reject) => {
    worker.once('message', (status: ThreadStatus) =>
      status.ready
        ? resolve(status.info)
        : reject(new ClassifierError('internal_error', `The model failed to load: ${status.error}`)),
    );
    worker.once('error', reject);
  });
  worker.on('message', (reply: InferenceReply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.probabilities) p?.resolve(reply.probabilities);
    else
      p?.reject(
        new ClassifierError('internal_error', `Inference failed: ${reply.error}`, { retryable: true }),
      );
  });
  worker.on('error', (err) =>
    failAll(
      new ClassifierError('internal_error', `The inference thread crashed: ${err.message}`, {
        retryable: true,
      }),
    ),
  );
  worker.on('exit', (code) =>
    failAll(
      new ClassifierError('internal_error', `The inference thread exited (${code}).`, { retryable: true }),
    ),
  );
  // Referenced only while a batch is out: an idle thread must not keep a finished CLI alive,
  // and a running one must keep the process up until its answer arrives.
  worker.unref();
  const run: RunBatch = (pixels, count) =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      if (pending.size === 0) worker.ref();
      // A batch takes tens of milliseconds; one that outlives the timeout is a hung thread.
      const timer = setTimeout(() => {
        failAll(
          new ClassifierError(
            'internal_error',
            `Inference took longer than ${timeoutMs / 1000} s; the inference thread is restarted.`,
            { retryable: true },
          ),
        );
        void worker.terminate();
      }, timeoutMs);
      timer.unref();
      const done =
        <T>(settle: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          settle(value);
        };
      pending.set(id, { resolve: done(resolve), reject: done(reject) });
      worker.postMessage({ id, pixels, count }, [pixels.buffer as ArrayBuffer]);
    });
  const close = async (): Promise<void> => {
    worker.ref(); // a caller awaiting the end must not see the event loop run dry meanwhile
    await worker.terminate();
  };
  return { run, close, dead: () => failure !== undefined, info };
}
