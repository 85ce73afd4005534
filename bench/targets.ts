/** The issues' targets, checked against one run's reports (only those whose modes ran). */
import type { ModeReport } from './stats';

export function checkTargets(reports: ModeReport[]): string[] {
  const by = (key: string): ModeReport | undefined => reports.find((r) => r.key === key);
  const lines: string[] = ['Targets:'];
  const check = (label: string, ok: boolean, detail: string): void => {
    lines.push(`- [${ok ? 'met' : 'MISSED'}] ${label}: ${detail}`);
  };
  const ratio = (a?: ModeReport, b?: ModeReport): number | undefined =>
    a?.imagesPerSecond && b?.imagesPerSecond ? a.imagesPerSecond / b.imagesPerSecond : undefined;

  const cliVsNaive = ratio(by('pipeline'), by('naive'));
  if (cliVsNaive !== undefined) {
    check('CLI pipeline >= 1.5x naive loop (issue 3)', cliVsNaive >= 1.5, `${cliVsNaive.toFixed(2)}x`);
    check('CLI pipeline >= 2x naive loop (issue 7)', cliVsNaive >= 2, `${cliVsNaive.toFixed(2)}x`);
  }
  const queueVsCli = ratio(by('queuePath'), by('pipeline'));
  if (queueVsCli !== undefined)
    check('queue path >= 0.8x CLI', queueVsCli >= 0.8, `${queueVsCli.toFixed(2)}x`);
  const jobsVsCli = ratio(by('jobs'), by('pipeline'));
  if (jobsVsCli !== undefined) check('batch job >= 0.7x CLI', jobsVsCli >= 0.7, `${jobsVsCli.toFixed(2)}x`);
  for (const [key, label] of [
    ['coldStart', 'CLI cold start to first result < 1000 ms'],
    ['hostColdStart', 'local host cold start to first result < 1000 ms'],
  ] as const) {
    const ms = by(key)?.firstResultMs;
    if (ms !== undefined) check(label, ms < 1000, `${ms} ms`);
  }
  const latency = by('queueLatency');
  if (latency) {
    check('upload-to-result p50 < 1 s, idle stack', latency.p50Ms < 1000, `${latency.p50Ms} ms`);
    check('upload-to-result p95 < 1 s, idle stack', latency.p95Ms < 1000, `${latency.p95Ms} ms`);
  }
  const sync = by('syncClassify');
  if (sync) check('sync classify p50 < 100 ms', sync.p50Ms < 100, `${sync.p50Ms} ms`);
  const requests = by('requests')?.metrics;
  if (requests) {
    // Issue 14's ceilings (6, 8, 9) plus what issue 27's search index needs: one entity in the
    // result's class partition (no two images share it) and a share of the day's transaction.
    for (const [key, label, max] of [
      ['job', 'bulk job', 7],
      ['drop', 'drop folder', 9.5],
      ['upload', 'upload path (POST, PUT, one poll)', 10.5],
    ] as const) {
      const n = requests[`${key}RequestsPerImage`];
      check(`${label}: at most ${max} storage requests per image (issues 14, 27)`, n <= max, `${n}`);
    }
    for (const [key, label] of [
      ['job', 'bulk job'],
      ['drop', 'drop folder'],
    ] as const) {
      const r = requests[`${key}AppCpuMsPerImage`] / requests[`${key}CliCpuMsPerImage`];
      check(`${label}: app CPU per image at most 1.4x the CLI's (issue 14)`, r <= 1.4, `${r.toFixed(2)}x`);
    }
    const jobs = requests.jobImagesPerSecond / requests.jobCliImagesPerSecond;
    check('bulk job throughput at least 0.5x the CLI (issue 14)', jobs >= 0.5, `${jobs.toFixed(2)}x`);
  }
  const int8 = reports.find((r) => r.key?.startsWith('int8:'))?.metrics;
  if (int8) {
    check(
      'CLI with exact int8 >= 0.9x the CLI as published (issue 25)',
      int8.cliRatio >= 0.9,
      `${int8.cliRatio.toFixed(2)}x`,
    );
    for (const set of ['imagenet-val-dev', 'imagenet-photos-dev']) {
      const agree = int8[`${set}:shippedAgreement`];
      const gap = int8[`${set}:shippedTop1MinusReference`] * 100;
      check(
        `${set}: top-1 agrees with the exact int8 reference on >= 95% (issue 25)`,
        agree >= 0.95,
        `${(agree * 100).toFixed(1)} %`,
      );
      check(
        `${set}: top-1 within half a point of the reference, or above (issue 25)`,
        gap >= -0.5,
        `${gap.toFixed(1)} points`,
      );
    }
  }
  const rss = reports.filter((r) => r.key !== 'seed' && Number.isFinite(r.peakRssMb)).map((r) => r.peakRssMb);
  if (rss.length > 0) check('peak RSS < 400 MB', Math.max(...rss) < 400, `max ${Math.max(...rss)} MB`);
  return lines;
}
