/**
 * Collects crops from concurrent callers into shared ONNX Runtime calls. A batch starts as
 * soon as the session is idle, so a lone image never waits; while a batch runs, new crops
 * queue up and go together in the next one (up to maxBatchSize). Bigger batches amortise
 * the per-call overhead; `maxWaitMs` can hold an idle session back briefly to fill a batch.
 */
import type { ModelSession } from '../model/modelSession';

export interface InferenceBatcherOptions {
  /** Most crops in one onnxruntime call (default 8). */
  maxBatchSize?: number;
  /** How long an idle session waits for more crops before running a partial batch (default 0). */
  maxWaitMs?: number;
}

export interface InferenceOutcome {
  probabilities: Float32Array;
  /** Wall time of the onnxruntime call this crop rode in. */
  inferMs: number;
  batchSize: number;
}

interface Pending {
  crop: Buffer;
  resolve: (outcome: InferenceOutcome) => void;
  reject: (err: unknown) => void;
}

export class InferenceBatcher {
  private readonly queue: Pending[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxBatchSize: number;
  private readonly maxWaitMs: number;

  constructor(
    private readonly session: ModelSession,
    options: InferenceBatcherOptions = {},
  ) {
    this.maxBatchSize = options.maxBatchSize ?? 8;
    this.maxWaitMs = options.maxWaitMs ?? 0;
  }

  infer(crop: Buffer): Promise<InferenceOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ crop, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queue.length >= this.maxBatchSize || this.maxWaitMs === 0) return void this.runNext();
    this.timer ??= setTimeout(() => this.runNext(), this.maxWaitMs);
  }

  private runNext(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue.splice(0, this.maxBatchSize);
    if (batch.length === 0) return;
    this.running = true;
    const started = performance.now();
    this.session
      .run(batch.map((p) => p.crop))
      .then(
        (outputs) => {
          const inferMs = performance.now() - started;
          batch.forEach((p, i) => p.resolve({ probabilities: outputs[i], inferMs, batchSize: batch.length }));
        },
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      )
      .finally(() => {
        this.running = false;
        this.schedule();
      });
  }
}
