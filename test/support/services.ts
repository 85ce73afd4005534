/**
 * Jest helper: src/lib without the app. A fresh in-memory Azurite for the test file (see
 * azurite.ts), the app's containers, queues and tables created in it, and one Services built
 * over it as src/functions/services.ts builds the app's (the real model, loaded on first use).
 *
 *   const env = useServices();
 *   it('...', async () => { await processMessage(env.services, message, delivery, options); });
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_MODEL_ID } from '../../src/lib/model/manifest';
import { MODELS_DIR } from '../../src/lib/paths';
import { createServices, type Services, type ServicesOptions } from '../../src/lib/services';
import { createStorageClients } from '../../src/lib/storage/clients';
import { ensureStorage } from '../../src/lib/storage/ensureStorage';
import { useAzurite } from './azurite';
import { writeTestModel } from '../../tools/testModels';

export interface ServicesEnv {
  /** Valid inside tests (after beforeAll). */
  readonly services: Services;
  readonly connectionString: string;
}

export function useServices(options: Omit<ServicesOptions, 'storage'> = {}): ServicesEnv {
  const azurite = useAzurite();
  let services: Services | undefined;
  beforeAll(async () => {
    services = servicesFor(azurite.connectionString, options);
    await ensureStorage(services.storage);
  });
  return {
    get services() {
      if (!services) throw new Error('useServices(): use the services inside a test, after beforeAll.');
      return services;
    },
    get connectionString() {
      return azurite.connectionString;
    },
  };
}

/** A Services over the account of a connection string (a test's Azurite). */
export const servicesFor = (
  connectionString: string,
  options: Omit<ServicesOptions, 'storage'> = {},
): Services =>
  createServices({ ...options, storage: createStorageClients({ AzureWebJobsStorage: connectionString }) });

/**
 * A Services over the same account whose model cannot load: the default manifest pointing at
 * an empty cache directory and an unreachable download (port 9, discard), as when the model
 * file is missing in Azure.
 */
export function servicesWithoutModel(connectionString: string): Services {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'no-model-'));
  const manifest = JSON.parse(readFileSync(path.join(MODELS_DIR, `${DEFAULT_MODEL_ID}.json`), 'utf8')) as {
    url: string;
    labels: string;
  };
  manifest.url = 'http://127.0.0.1:9/missing.onnx';
  manifest.labels = path.join(MODELS_DIR, manifest.labels);
  const manifestPath = path.join(dir, 'manifest.json');
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return servicesFor(connectionString, {
    models: { defaultModel: manifestPath, classifier: { cacheDir: dir } },
  });
}

/**
 * A folder with one model whose file is missing and whose download is unreachable (the
 * manifest alone), for Services whose default model loads and that one does not.
 */
export function missingModelDir(id = 'mean-missing'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'missing-model-'));
  writeTestModel(dir, { id, layout: 'NCHW', channels: 'RGB', output: 'logits' });
  rmSync(path.join(dir, `${id}.onnx`));
  return dir;
}
