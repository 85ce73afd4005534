/**
 * One progress bar on stderr (cli-progress), shown only in a terminal and only when it does
 * not fight the results for the same screen.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface ProgressOptions {
  label: string;
  /** Extra condition besides stderr being a terminal. */
  enabled?: boolean;
}

export interface Progress {
  tick(payload?: Record<string, number>, by?: number): void;
  update(value: number, payload?: Record<string, number | string>): void;
  setTotal(total: number): void;
  stop(): void;
}

export function startProgress(total: number, options: ProgressOptions): Progress {
  if (!process.stderr.isTTY || options.enabled === false || total < 2) {
    return {
      tick: () => undefined,
      update: () => undefined,
      setTotal: () => undefined,
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `{bar} {value}/{total} ${options.label} | {failed} failed | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { failed: 0 });
  return {
    tick: (payload, by = 1) => bar.increment(by, payload),
    update: (value, payload) => bar.update(value, payload),
    setTotal: (t) => bar.setTotal(t),
    stop: () => bar.stop(),
  };
}
