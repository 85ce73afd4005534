import { app } from '@azure/functions';
import { ensureStorage } from '../lib/storage/ensureStorage';
import { services } from './services';

/**
 * Start-up: make sure the containers, queues and table exist, and load and warm the model
 * now, so the first image does not pay for it. A failure here is logged, not fatal: health
 * reports it and the queue keeps messages until the model loads. (App-start hooks get no
 * invocation logger, so this logs to the console, which the host collects.)
 */
app.hook.appStart(async () => {
  const started = performance.now();
  const { storage: clients, models } = services();
  const [storage, model] = await Promise.allSettled([ensureStorage(clients), models.classifier()]);
  for (const [part, outcome] of [
    ['storage', storage],
    ['model', model],
  ] as const) {
    if (outcome.status === 'rejected')
      console.error(`start-up: ${part} not ready: ${(outcome.reason as Error).message}`);
  }
  console.log(`start-up done in ${Math.round(performance.now() - started)} ms`);
});
