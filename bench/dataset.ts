/** The benchmark's images: ../shared/datasets/imagenet-photos-dev (250 real-size JPEG photos). */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/lib/paths';

export const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(PROJECT_ROOT, '../shared');
export const PHOTOS_DIR = path.join(SHARED_DIR, 'datasets/imagenet-photos-dev/images');

export function photoFiles(limit = Infinity): string[] {
  return readdirSync(PHOTOS_DIR)
    .sort()
    .slice(0, limit)
    .map((f) => path.join(PHOTOS_DIR, f));
}
