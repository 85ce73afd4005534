/**
 * The one concurrency limiter: at most `limit` tasks at once, the rest wait their turn (the
 * classifier's decodes, since sharp runs on libuv's thread pool and more decodes than cores
 * only add memory and contention with inference; the CLI's uploads and file reads).
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** `fn` over every item, at most `limit` at once; results in input order. */
export function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const semaphore = new Semaphore(limit);
  return Promise.all(items.map((item) => semaphore.run(() => fn(item))));
}

/**
 * `work`'s value if it settles within `ms`, else undefined (the work goes on; a rejection within
 * `ms` is passed on). For answering on time while something slow continues in the background.
 */
export async function settledWithin<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
