/**
 * The failure report behind `GET /api/admin/failures`, so no failure goes unnoticed: failed
 * results counted by error code with their ids and the oldest of each, results stuck in
 * `queued`/`processing` longer than they should be, and what waits in the poison queues.
 * It scans the `results` table page by page (fine at this app's scale; a failures index
 * would be the next step if the table grows to millions of rows).
 */
import type { ErrorCode } from '../errors';
import type { Services } from '../services';
import { storageNames } from '../storage/names';

export interface FailureReportOptions {
  /** Ids listed per error code (default 100); counts are always complete. */
  idsPerCode?: number;
  /** A queued or processing row older than this is reported as stuck (default 15 minutes). */
  stuckAfterMs?: number;
  now?: Date;
  abortSignal?: AbortSignal;
}

export interface FailureGroup {
  count: number;
  ids: string[];
  oldest: { id: string; completedAt: string };
}

export interface FailureReport {
  failed: number;
  byCode: Partial<Record<ErrorCode, FailureGroup>>;
  oldestFailure?: { id: string; code: string; completedAt: string };
  stuck: { count: number; ids: string[] };
  poison: Record<string, number>;
}

export async function failureReport(
  services: Pick<Services, 'results' | 'storage'>,
  options: FailureReportOptions = {},
): Promise<FailureReport> {
  const idsPerCode = options.idsPerCode ?? 100;
  const now = options.now ?? new Date();
  const stuckBefore = new Date(now.getTime() - (options.stuckAfterMs ?? 15 * 60_000)).toISOString();
  const report: FailureReport = { failed: 0, byCode: {}, stuck: { count: 0, ids: [] }, poison: {} };
  const filter = `status eq 'failed' or ((status eq 'queued' or status eq 'processing') and createdAt lt '${stuckBefore}')`;
  const pages = services.results.list({
    filter,
    select: ['id', 'status', 'error', 'createdAt', 'completedAt'],
    abortSignal: options.abortSignal,
  });
  for await (const page of pages) {
    for (const { result } of page) {
      if (result.status !== 'failed') {
        report.stuck.count++;
        if (report.stuck.ids.length < idsPerCode) report.stuck.ids.push(result.id);
        continue;
      }
      const code = result.error?.code ?? 'internal_error';
      const completedAt = result.completedAt ?? result.createdAt;
      const group = (report.byCode[code] ??= { count: 0, ids: [], oldest: { id: result.id, completedAt } });
      group.count++;
      report.failed++;
      if (group.ids.length < idsPerCode) group.ids.push(result.id);
      if (completedAt < group.oldest.completedAt) group.oldest = { id: result.id, completedAt };
      if (!report.oldestFailure || completedAt < report.oldestFailure.completedAt)
        report.oldestFailure = { id: result.id, code, completedAt };
    }
  }
  for (const queue of [
    storageNames.classifyPoisonQueue,
    storageNames.jobsPoisonQueue,
    storageNames.eventsPoisonQueue,
  ]) {
    report.poison[queue] = await approximateCount(services, queue, options.abortSignal);
  }
  return report;
}

async function approximateCount(
  services: Pick<Services, 'storage'>,
  queue: string,
  abortSignal?: AbortSignal,
): Promise<number> {
  const client = services.storage.queues.getQueueClient(queue);
  if (!(await client.exists({ abortSignal }))) return 0;
  return (await client.getProperties({ abortSignal })).approximateMessagesCount ?? 0;
}
