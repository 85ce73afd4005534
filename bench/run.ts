/**
 * `npm run bench`: runs every mode side by side in one run, each in a fresh process, prints a
 * table with ratios against the naive loop, checks the targets, and writes the figures to
 * bench/results/ (latest.json and a timestamped copy) so later runs can be compared.
 * `npm run bench -- pipeline naive` runs only the named modes.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../src/lib/paths';
import { MODES } from './modes';
import type { ModeReport } from './stats';
import { checkTargets } from './targets';

async function runMode(name: string): Promise<ModeReport[]> {
  process.stderr.write(`running ${name}...\n`);
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(__dirname, 'worker.js'), name], {
    maxBuffer: 1 << 26,
    env: {
      ...process.env,
      MODEL_CACHE_DIR: process.env.MODEL_CACHE_DIR ?? path.resolve(PROJECT_ROOT, '../shared/models'),
    },
  });
  const parsed = JSON.parse(stdout.trim().split('\n').pop()!) as ModeReport | ModeReport[];
  return (Array.isArray(parsed) ? parsed : [parsed]).map((r) => ({ ...r, key: r.key ?? name }));
}

function table(reports: ModeReport[]): string {
  const naive = reports.find((r) => r.key === 'naive')?.imagesPerSecond;
  const rows = reports.map((r) => [
    r.mode,
    String(r.images),
    r.imagesPerSecond === null ? '' : r.imagesPerSecond.toFixed(1),
    naive && r.imagesPerSecond !== null ? `${(r.imagesPerSecond / naive).toFixed(2)}x` : '',
    Number.isFinite(r.p50Ms) ? r.p50Ms.toFixed(1) : '',
    Number.isFinite(r.p95Ms) ? r.p95Ms.toFixed(1) : '',
    Number.isFinite(r.peakRssMb) ? String(r.peakRssMb) : '',
    r.firstResultMs === undefined ? '' : String(r.firstResultMs),
    r.note ?? '',
  ]);
  const head = [
    'mode',
    'images',
    'images/s',
    'vs naive',
    'p50 ms',
    'p95 ms',
    'peak RSS MB',
    'cold start ms',
    'note',
  ];
  const lines = [head, head.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(MODES);
  const reports: ModeReport[] = [];
  for (const name of names) reports.push(...(await runMode(name)));
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`;
  const details = reports.flatMap((r) => (r.details ? ['', ...r.details] : []));
  const output = [`Machine: ${machine}`, '', table(reports), ...details, '', ...checkTargets(reports)].join(
    '\n',
  );
  process.stdout.write(`${output}\n`);
  const dir = path.join(PROJECT_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify({ date: new Date().toISOString(), machine, reports }, null, 2);
  writeFileSync(path.join(dir, 'latest.json'), json);
  writeFileSync(path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), json);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
