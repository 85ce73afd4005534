/**
 * How long uploaded images and results are kept (app settings RETENTION_DAYS_UPLOADS, default 7,
 * and RETENTION_DAYS_RESULTS, default 30). Fractions are allowed so tests can use seconds.
 * Also the shape of a sweep's step, which travels on the `jobs` queue (jobMessage.ts): a plain
 * type here, so the queue's message module does not import the sweep that deletes things.
 */
import { numberFromEnv } from '../env';

export interface RetentionConfig {
  uploadsDays: number;
  resultsDays: number;
}

export const DEFAULT_RETENTION: RetentionConfig = { uploadsDays: 7, resultsDays: 30 };

const daysFromEnv = (name: string, fallback: number): number =>
  numberFromEnv(name, fallback, { integer: false });

export function retentionFromEnv(): RetentionConfig {
  return {
    uploadsDays: daysFromEnv('RETENTION_DAYS_UPLOADS', DEFAULT_RETENTION.uploadsDays),
    resultsDays: daysFromEnv('RETENTION_DAYS_RESULTS', DEFAULT_RETENTION.resultsDays),
  };
}

/** One step of a sweep: which part, from where, and the cut-offs fixed when the sweep began. */
export interface RetentionStep {
  phase: 'uploads' | 'results';
  /** ISO times: what is older goes. */
  uploadsBefore: string;
  resultsBefore: string;
  /** Where the uploads listing stopped (results need none: what a step deletes leaves the filter). */
  continuationToken?: string;
  pageSize: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const cutoff = (now: Date, days: number): Date => new Date(now.getTime() - days * DAY_MS);
