import { app } from '@azure/functions';
import { ensureStorage } from '../lib/storage/ensureStorage';
import { services } from './services';

/**
 * Start-up: make sure the containers, queues and table exist, and load and warm the model
 * now, so the first image does not pay for it. A failure here is logged, not fatal: health
 * reports it and the queue keeps messages until the model loads. (App-start hooks get no
 * invocation logger, so this logs to the console, which the host collects.)
 */
// HTTP streaming: request bodies reach the handlers as they arrive and response bodies leave as
// they are produced (a job's export of any size, at constant memory), instead of the host
// collecting each whole in memory. Needs host 4.28+ (Core Tools 4.0.5530+); npm start's local
// host forwards requests to the library's proxy the way the host does.
app.setup({ enableHttpStream: true });

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
