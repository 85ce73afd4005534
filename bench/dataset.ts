/**
 * The benchmark's images: ../shared/datasets/imagenet-photos-dev (250 real-size JPEG photos),
 * and imagenet-val-dev (650 227x227 JPEGs) for warming up.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/lib/paths';

export const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(PROJECT_ROOT, '../shared');
export const PHOTOS_DIR = path.join(SHARED_DIR, 'datasets/imagenet-photos-dev/images');

export const VAL_DIR = path.join(SHARED_DIR, 'datasets/imagenet-val-dev/images');

const filesOf = (dir: string, limit: number): string[] =>
  readdirSync(dir)
    .sort()
    .slice(0, limit)
    .map((f) => path.join(dir, f));

export const photoFiles = (limit = Infinity): string[] => filesOf(PHOTOS_DIR, limit);

/** Images never used for a measurement: they warm a process up (JIT, connections, model). */
export const warmupFiles = (limit = Infinity): string[] => filesOf(VAL_DIR, limit);
