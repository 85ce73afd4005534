/**
 * What the app does when its process starts (the appStart hook): create the containers, queues
 * and tables if missing, and load and warm the default model, so the first image does not pay
 * for it. Both go on in the background past `budgetMs`: Flex Consumption gives an app's
 * initialisation 30 s (the Node worker answers the host only once appStart hooks finish), and a
 * large model, a download or a slow token must not turn that into a restart loop. Meanwhile
 * health answers 503 saying the model is `loading`, and the queue holds messages for it.
 * A failure is logged, not thrown: health reports it and the queue keeps the work.
 */
import { settledWithin } from './concurrency';
import type { Services } from './services';
import { ensureStorage } from './storage/ensureStorage';

export interface StartUpOptions {
  /** Longest the hook waits (default 20 s, well within Flex's 30). */
  budgetMs?: number;
  log?: (line: string) => void;
}

export type PartState = 'ready' | 'failed' | 'still starting';

export async function startUp(
  services: Pick<Services, 'models' | 'storage'>,
  { budgetMs = 20_000, log = console.log }: StartUpOptions = {},
): Promise<{ storage: PartState; model: PartState }> {
  const started = performance.now();
  const state: { storage: PartState; model: PartState } = {
    storage: 'still starting',
    model: 'still starting',
  };
  const part = (name: 'storage' | 'model', work: Promise<unknown>): Promise<void> =>
    work.then(
      () => {
        state[name] = 'ready';
      },
      (err: unknown) => {
        state[name] = 'failed';
        log(`start-up: ${name} not ready: ${(err as Error).message}`);
      },
    );
  const both = Promise.all([
    part('storage', ensureStorage(services.storage)),
    part('model', services.models.classifier()),
  ]);
  await settledWithin(both, budgetMs);
  const ms = Math.round(performance.now() - started);
  if (state.storage === 'still starting' || state.model === 'still starting') {
    log(
      `start-up: storage ${state.storage}, model ${state.model} after ${ms} ms; carrying on in the background (GET /api/health says when it is up).`,
    );
    void both.then(() => log(`start-up done in ${Math.round(performance.now() - started)} ms`));
  } else log(`start-up done in ${ms} ms`);
  return state;
}
