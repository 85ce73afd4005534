/**
 * The app's start-up (src/lib/startup.ts) returns within its budget whatever the model does,
 * since Flex Consumption gives app initialisation 30 s: here a model whose download never
 * answers. Storage is set up meanwhile, health says the model is loading, and the load goes on.
 */
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkHealth } from '../../src/lib/health';
import { DEFAULT_MODEL_ID } from '../../src/lib/model/manifest';
import { MODELS_DIR } from '../../src/lib/paths';
import { startUp } from '../../src/lib/startup';
import { storageNames } from '../../src/lib/storage/names';
import { useAzurite } from '../support/azurite';
import { servicesFor } from '../support/services';

const azurite = useAzurite();

it('returns within its budget while the model still downloads, with storage set up and health saying loading', async () => {
  const sockets: Socket[] = [];
  const server = createServer((socket) => void sockets.push(socket)); // takes the download, never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'startup-'));
  const manifest = JSON.parse(readFileSync(path.join(MODELS_DIR, `${DEFAULT_MODEL_ID}.json`), 'utf8')) as {
    url: string;
    labels: string;
  };
  manifest.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/model.onnx`;
  manifest.labels = path.join(MODELS_DIR, manifest.labels);
  writeFileSync(path.join(dir, 'slow.json'), JSON.stringify(manifest));
  const services = servicesFor(azurite.connectionString, {
    models: { defaultModel: path.join(dir, 'slow.json'), classifier: { cacheDir: dir } },
  });
  const lines: string[] = [];
  try {
    const started = performance.now();
    const state = await startUp(services, { budgetMs: 1000, log: (l) => lines.push(l) });
    expect(performance.now() - started).toBeLessThan(2500);
    expect(state).toEqual({ storage: 'ready', model: 'still starting' });
    expect(lines.join('\n')).toMatch(/model still starting after \d+ ms; carrying on in the background/);
    expect(sockets.length).toBeGreaterThan(0); // the download had begun and goes on
    await services.storage.queues.getQueueClient(storageNames.classifyQueue).getProperties();
    const health = await checkHealth(services);
    expect(health).toMatchObject({
      status: 'unavailable',
      model: { status: 'loading' },
      storage: { status: 'ok' },
    });
  } finally {
    sockets.forEach((s) => s.destroy());
    server.close();
    await services.models.close();
  }
}, 30_000);
