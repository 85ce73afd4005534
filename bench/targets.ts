/** The issues' targets, checked against one run's reports. */
import type { ModeReport } from './stats';

type Keyed = ModeReport & { key?: string };

export function checkTargets(reports: Keyed[]): string[] {
  const by = (key: string): Keyed | undefined => reports.find((r) => r.key === key);
  const lines: string[] = ['Targets:'];
  const check = (label: string, ok: boolean | undefined, detail: string): void => {
    if (ok !== undefined) lines.push(`- [${ok ? 'met' : 'MISSED'}] ${label}: ${detail}`);
  };
  const naive = by('naive');
  const pipeline = by('pipeline');
  const cold = by('coldStart');
  if (naive?.imagesPerSecond && pipeline?.imagesPerSecond) {
    const ratio = pipeline.imagesPerSecond / naive.imagesPerSecond;
    check('CLI pipeline >= 1.5x naive loop', ratio >= 1.5, `${ratio.toFixed(2)}x`);
  }
  if (cold?.firstResultMs !== undefined)
    check('cold start to first result < 1000 ms', cold.firstResultMs < 1000, `${cold.firstResultMs} ms`);
  const rss = reports.filter((r) => r.key !== 'seed').map((r) => r.peakRssMb);
  if (rss.length > 0) check('peak RSS < 400 MB', Math.max(...rss) < 400, `max ${Math.max(...rss)} MB`);
  return lines;
}
