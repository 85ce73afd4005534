/**
 * One progress bar on stderr (cli-progress), shown only in a terminal and only when it does
 * not fight the results for the same screen.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface ProgressOptions {
  /** After the count; may name payload tokens (`{uploaded}`), each given a first value in `payload`. */
  label: string;
  /** First values of the label's own tokens, so the first frame never shows a bare `{token}`. */
  payload?: Record<string, number | string>;
  /** Extra condition besides stderr being a terminal. */
  enabled?: boolean;
  /** Where the bar goes (default stderr; it must be a terminal). */
  stream?: NodeJS.WriteStream;
}

export interface Progress {
  tick(payload?: Record<string, number>, by?: number): void;
  update(value: number, payload?: Record<string, number | string>): void;
  setTotal(total: number): void;
  stop(): void;
}

export function startProgress(total: number, options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (!stream.isTTY || options.enabled === false || total < 2) {
    return {
      tick: () => undefined,
      update: () => undefined,
      setTotal: () => undefined,
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    {
      stream,
      // Our own ETA token: cli-progress prints "NF" until the first item is done.
      format: `{bar} {value}/{total} ${options.label} | {failed} failed | ETA {etaText}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  let done = 0;
  const eta = (): string => {
    if (done === 0) return '--';
    const seconds = Math.round((((Date.now() - started) / done) * (bar.getTotal() - done)) / 1000);
    return seconds >= 60
      ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
      : `${seconds}s`;
  };
  bar.start(total, 0, { failed: 0, etaText: '--', ...options.payload });
  return {
    tick: (payload, by = 1) => {
      done += by;
      bar.increment(by, { ...payload, etaText: eta() });
    },
    update: (value, payload) => {
      done = value;
      bar.update(value, { ...payload, etaText: eta() });
    },
    setTotal: (t) => bar.setTotal(t),
    stop: () => bar.stop(),
  };
}
