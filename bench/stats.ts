/** Small statistics helpers shared by the benchmark modes. */

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** What every mode reports; printed as one table row. */
export interface ModeReport {
  /** Which mode produced it (targets look reports up by key); defaults to the mode's name. */
  key?: string;
  mode: string;
  images: number;
  seconds: number;
  /** null for modes that measure latency only. */
  imagesPerSecond: number | null;
  p50Ms: number;
  p95Ms: number;
  /** Peak resident set size of the process that ran the mode, MB. */
  peakRssMb: number;
  /** Process start to the first result, ms (cold start), when the mode measures it. */
  firstResultMs?: number;
  note?: string;
  /** Figures the targets check (bench/targets.ts), by name. */
  metrics?: Record<string, number>;
  /** Lines printed after the main table (a mode's own tables). */
  details?: string[];
}

export function report(
  mode: string,
  latencies: number[],
  seconds: number,
  extra: Partial<ModeReport> = {},
): ModeReport {
  return {
    mode,
    images: latencies.length,
    seconds: round(seconds),
    imagesPerSecond: round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...extra,
  };
}

export const round = (x: number): number => Math.round(x * 10) / 10;
