/**
 * How long uploaded images and results are kept (app settings RETENTION_DAYS_UPLOADS, default 7,
 * and RETENTION_DAYS_RESULTS, default 30). Fractions are allowed so tests can use seconds.
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

const DAY_MS = 24 * 60 * 60 * 1000;
export const cutoff = (now: Date, days: number): Date => new Date(now.getTime() - days * DAY_MS);
