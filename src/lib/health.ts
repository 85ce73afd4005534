/**
 * What `GET /api/health` reports: whether the default model is loaded and storage answers,
 * each with a reason when not, so an operator sees which part is down; and every installed
 * model with whether it is loaded now and why its last load failed, if it did.
 */
import type { Services } from './services';
import { storageNames } from './storage/names';

export interface HealthReport {
  status: 'ok' | 'unavailable';
  /** `loading`: the default model is still loading or downloading (after a start, or an eviction). */
  model: { status: 'ok' | 'loading' | 'unavailable'; id?: string; sha256?: string; message?: string };
  storage: { status: 'ok' | 'unavailable'; message?: string };
  models: { id: string; loaded: boolean; available: boolean; default: boolean; message?: string }[];
}

/** How long a check waits for storage, or for the default model to load, before saying it is not up. */
const CHECK_TIMEOUT_MS = 3000;

/** Never throws, and answers within about CHECK_TIMEOUT_MS: a probe must get a report, not a 500 or a wait. */
export async function checkHealth(services: Pick<Services, 'models' | 'storage'>): Promise<HealthReport> {
  const [model, storage] = await Promise.all([modelHealth(services), storageHealth(services)]);
  return {
    status: model.status === 'ok' && storage.status === 'ok' ? 'ok' : 'unavailable',
    model,
    storage,
    models: installedModels(services),
  };
}

function installedModels(services: Pick<Services, 'models'>): HealthReport['models'] {
  try {
    return services.models.list().map((m) => ({
      id: m.id,
      loaded: m.loaded,
      available: m.available,
      default: m.default,
      message: services.models.lastFailure(m.id) || undefined,
    }));
  } catch {
    return []; // the default model's manifest is broken: `model` says how
  }
}

async function modelHealth(services: Pick<Services, 'models'>): Promise<HealthReport['model']> {
  let timer: NodeJS.Timeout | undefined;
  const loading = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('The model is still loading (or downloading); ask again in a few seconds.')),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    // The load goes on after a timeout; the next check finds it done.
    const { model } = await Promise.race([services.models.classifier(), loading]);
    return { status: 'ok', ...model };
  } catch (err) {
    const loading = services.models.loading();
    return { status: loading ? 'loading' : 'unavailable', message: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function storageHealth(services: Pick<Services, 'storage'>): Promise<HealthReport['storage']> {
  try {
    const queue = services.storage.queues.getQueueClient(storageNames.classifyQueue);
    await queue.getProperties({ abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    return { status: 'ok' };
  } catch (err) {
    return {
      status: 'unavailable',
      message: `Storage did not answer: ${(err as Error).message.split('\n')[0]}`,
    };
  }
}
