import { app, type InvocationContext, type Timer } from '@azure/functions';
import { enqueueJobMessage } from '../lib/jobs/jobMessage';
import { firstRetentionStep } from '../lib/retention/cleanupExpired';
import { services } from './services';

/**
 * Daily retention sweep (docs/reliability.md): queues its first step on the `jobs` queue; each
 * step deletes one page and queues the next, so no invocation can outrun functionTimeout.
 */
export async function cleanupExpired(_timer: Timer, context: InvocationContext): Promise<void> {
  const step = firstRetentionStep();
  await enqueueJobMessage(services().storage, { kind: 'retention', step });
  context.log(
    `retention: sweep queued (uploads before ${step.uploadsBefore}, results before ${step.resultsBefore})`,
  );
}

app.timer('cleanupExpired', {
  // NCRONTAB (seconds first): 03:17 UTC daily, off the hour when other jobs tend to run.
  schedule: '0 17 3 * * *',
  handler: cleanupExpired,
});
