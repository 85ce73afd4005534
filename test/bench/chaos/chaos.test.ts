/**
 * The short form of `npm run chaos` (bench/chaos/run.ts), built by `npm test` first: 1,500 images
 * through every door in 150 s of faults (at least 5 instance kills and 2 Azurite restarts: the
 * plan's test), then the independent check; about 3 minutes, what CI's 20 fit. Nothing may be
 * lost, doubled, wrong or stuck, and every poison message names only finished work.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../src/lib/paths';
import { MODEL_CACHE_DIR } from '../../support/stack';

const SEED = '20261203';

it('loses, doubles, mistakes and strands nothing under kills, restarts and storage faults', async () => {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist/bench/chaos/run.js')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      MODEL_CACHE_DIR,
      CHAOS_IMAGES: '1500',
      CHAOS_SECONDS: '150',
      CHAOS_SEED: SEED,
      CHAOS_DRAIN_SECONDS: '240',
    },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const file = /report: (\S+)/.exec(output)?.[1];
  if (code !== 0 || !file) throw new Error(`npm run chaos exited ${code}:\n${output}`);
  const report = JSON.parse(readFileSync(path.join(PROJECT_ROOT, file), 'utf8')) as {
    lost: number;
    duplicated: number;
    wrong: number;
    stuck: number;
    faults: { injected: Record<string, number> };
    checked: { uploads: number; drops: number; deleted: number; jobImages: number; syncs: number };
  };
  expect({
    lost: report.lost,
    duplicated: report.duplicated,
    wrong: report.wrong,
    stuck: report.stuck,
  }).toEqual({
    lost: 0,
    duplicated: 0,
    wrong: 0,
    stuck: 0,
  });
  expect(report.faults.injected.kill).toBeGreaterThanOrEqual(5);
  expect(report.faults.injected['azurite-restart']).toBeGreaterThanOrEqual(2);
  // Every door was used and checked.
  for (const n of Object.values(report.checked)) expect(n).toBeGreaterThan(0);
}, 720_000);
