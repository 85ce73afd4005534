import { app, type InvocationContext, type Timer } from '@azure/functions';
import { cleanupExpired as deleteExpired } from '../lib/retention/cleanupExpired';

/** Daily retention sweep: uploads and results past their time-to-live (docs/reliability.md). */
export async function cleanupExpired(_timer: Timer, context: InvocationContext): Promise<void> {
  const started = Date.now();
  const { uploadsDeleted, resultsDeleted } = await deleteExpired();
  context.log(
    `retention: deleted ${uploadsDeleted} upload(s) and ${resultsDeleted} result(s) in ${Date.now() - started} ms`,
  );
}

app.timer('cleanupExpired', {
  // NCRONTAB (seconds first): 03:17 UTC daily, off the hour when other jobs tend to run.
  schedule: '0 17 3 * * *',
  handler: cleanupExpired,
});
