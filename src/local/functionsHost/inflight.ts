/**
 * Counts running invocations so `RunningHost.stop()` can wait for them (bounded), like the host's
 * graceful shutdown, which lets in-flight functions finish before the worker is stopped.
 */
export class InflightTracker {
  #running = new Set<Promise<unknown>>();

  get size(): number {
    return this.#running.size;
  }

  /** Registers a running piece of work and returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.#running.add(settled);
    void settled.then(() => this.#running.delete(settled));
    return work;
  }

  /** Resolves true once everything tracked has settled, or false after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const all = (async () => {
      while (this.#running.size > 0) await Promise.all([...this.#running]);
      return true;
    })();
    try {
      return await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A sleep that ends early when `signal` aborts (listeners poll with it, so stop() is prompt). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
