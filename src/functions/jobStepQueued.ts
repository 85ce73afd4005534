import { app, type InvocationContext } from '@azure/functions';
import { parseJobMessage } from '../lib/jobs/jobMessage';
import { runJobStep } from '../lib/jobs/runJobStep';
import { storageNames } from '../lib/storage/names';
import { toDeliveryInfo } from './converters/queueDelivery';
import { services } from './services';

/** One `jobs` message: a page of a job's listing, or the exports of a job that ended. */
export async function jobStepQueued(message: unknown, context: InvocationContext): Promise<void> {
  const step = parseJobMessage(message);
  const { dequeueCount, maxDequeueCount } = toDeliveryInfo(context);
  const outcome = await runJobStep(services(), step, { lastAttempt: dequeueCount >= maxDequeueCount });
  context.log(`${step.kind === 'retention' ? '' : `job ${step.jobId} `}${step.kind} -> ${outcome}`);
}

app.storageQueue('jobStepQueued', {
  queueName: storageNames.jobsQueue,
  connection: 'AzureWebJobsStorage',
  handler: jobStepQueued,
});
