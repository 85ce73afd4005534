/**
 * What `GET /api/health` reports: whether the default model is loaded and storage answers,
 * each with a reason when not, so an operator sees which part is down; and every installed
 * model with whether it is loaded now and why its last load failed, if it did.
 */
import type { Services } from './services';
import { storageNames } from './storage/names';

export interface HealthReport {
  status: 'ok' | 'unavailable';
  model: { status: 'ok' | 'unavailable'; id?: string; sha256?: string; message?: string };
  storage: { status: 'ok' | 'unavailable'; message?: string };
  models: { id: string; loaded: boolean; available: boolean; default: boolean; message?: string }[];
}

const STORAGE_TIMEOUT_MS = 3000;

export async function checkHealth(services: Services): Promise<HealthReport> {
  const [model, storage] = await Promise.all([modelHealth(services), storageHealth(services)]);
  const models = services.models.list().map((m) => ({
    id: m.id,
    loaded: m.loaded,
    available: m.available,
    default: m.default,
    message: services.models.lastFailure(m.id) || undefined,
  }));
  return {
    status: model.status === 'ok' && storage.status === 'ok' ? 'ok' : 'unavailable',
    model,
    storage,
    models,
  };
}

async function modelHealth(services: Services): Promise<HealthReport['model']> {
  try {
    const { model } = await services.models.classifier();
    return { status: 'ok', ...model };
  } catch (err) {
    return { status: 'unavailable', message: (err as Error).message };
  }
}

async function storageHealth(services: Services): Promise<HealthReport['storage']> {
  try {
    const queue = services.storage.queues.getQueueClient(storageNames.classifyQueue);
    await queue.getProperties({ abortSignal: AbortSignal.timeout(STORAGE_TIMEOUT_MS) });
    return { status: 'ok' };
  } catch (err) {
    return {
      status: 'unavailable',
      message: `Storage did not answer: ${(err as Error).message.split('\n')[0]}`,
    };
  }
}
