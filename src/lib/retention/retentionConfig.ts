/**
 * How long uploaded images and results are kept (app settings RETENTION_DAYS_UPLOADS, default 7,
 * and RETENTION_DAYS_RESULTS, default 30). Fractions are allowed so tests can use seconds.
 */
export interface RetentionConfig {
  uploadsDays: number;
  resultsDays: number;
}

export const DEFAULT_RETENTION: RetentionConfig = { uploadsDays: 7, resultsDays: 30 };

function daysFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number of days, got "${raw}".`);
  return value;
}

export function retentionFromEnv(): RetentionConfig {
  return {
    uploadsDays: daysFromEnv('RETENTION_DAYS_UPLOADS', DEFAULT_RETENTION.uploadsDays),
    resultsDays: daysFromEnv('RETENTION_DAYS_RESULTS', DEFAULT_RETENTION.resultsDays),
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const cutoff = (now: Date, days: number): Date => new Date(now.getTime() - days * DAY_MS);
