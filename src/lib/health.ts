/**
 * What `GET /api/health` reports: whether the model is loaded and storage answers, each with
 * a reason when not, so an operator sees which part is down.
 */
import { sharedClassifier } from './classify/classifier';
import { storageClients } from './storage/clients';
import { storageNames } from './storage/names';

export interface HealthReport {
  status: 'ok' | 'unavailable';
  model: { status: 'ok' | 'unavailable'; id?: string; sha256?: string; message?: string };
  storage: { status: 'ok' | 'unavailable'; message?: string };
}

const STORAGE_TIMEOUT_MS = 3000;

export async function checkHealth(): Promise<HealthReport> {
  const [model, storage] = await Promise.all([modelHealth(), storageHealth()]);
  return { status: model.status === 'ok' && storage.status === 'ok' ? 'ok' : 'unavailable', model, storage };
}

async function modelHealth(): Promise<HealthReport['model']> {
  try {
    const { model } = await sharedClassifier();
    return { status: 'ok', ...model };
  } catch (err) {
    return { status: 'unavailable', message: (err as Error).message };
  }
}

async function storageHealth(): Promise<HealthReport['storage']> {
  try {
    const queue = storageClients().queues.getQueueClient(storageNames.classifyQueue);
    await queue.getProperties({ abortSignal: AbortSignal.timeout(STORAGE_TIMEOUT_MS) });
    return { status: 'ok' };
  } catch (err) {
    return {
      status: 'unavailable',
      message: `Storage did not answer: ${(err as Error).message.split('\n')[0]}`,
    };
  }
}
