/**
 * GET /api/health's report (src/lib/health.ts) when the default model is not there to check:
 * a broken manifest is a report saying so, not a thrown error (a 500); a model still
 * downloading is reported as not up within a few seconds, not waited for.
 */
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkHealth } from '../../src/lib/health';
import { DEFAULT_MODEL_ID } from '../../src/lib/model/manifest';
import { MODELS_DIR } from '../../src/lib/paths';
import type { Services } from '../../src/lib/services';
import { ensureStorage } from '../../src/lib/storage/ensureStorage';
import { useAzurite } from '../support/azurite';
import { servicesFor } from '../support/services';

const azurite = useAzurite();
const dir = mkdtempSync(path.join(os.tmpdir(), 'health-'));
const opened: Services[] = [];
const servicesWithDefault = (manifestPath: string): Services => {
  const services = servicesFor(azurite.connectionString, {
    models: { defaultModel: manifestPath, classifier: { cacheDir: dir } },
  });
  opened.push(services);
  return services;
};
beforeAll(() => ensureStorage(servicesWithDefault(DEFAULT_MODEL_ID).storage));
afterAll(() => Promise.all(opened.map((s) => s.models.close())));

it('reports a default manifest that cannot be read as the model being down, without throwing', async () => {
  const broken = path.join(dir, 'broken.json');
  writeFileSync(broken, '{ "id": "half a manifest"');
  const report = await checkHealth(servicesWithDefault(broken));
  expect(report).toMatchObject({
    status: 'unavailable',
    model: { status: 'unavailable' },
    storage: { status: 'ok' },
  });
  expect(report.model.message).toMatch(/broken\.json/);
  expect(report.models).toEqual([]);
});

it('answers within seconds while the model is still downloading, and says so', async () => {
  // A server that takes the download's connection and never answers.
  const sockets: Socket[] = [];
  const server = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const manifest = JSON.parse(readFileSync(path.join(MODELS_DIR, `${DEFAULT_MODEL_ID}.json`), 'utf8')) as {
    url: string;
    labels: string;
  };
  const { port } = server.address() as { port: number };
  manifest.url = `http://127.0.0.1:${port}/model.onnx`;
  manifest.labels = path.join(MODELS_DIR, manifest.labels);
  const manifestPath = path.join(dir, 'slow.json');
  writeFileSync(manifestPath, JSON.stringify(manifest));
  try {
    const started = performance.now();
    const report = await checkHealth(servicesWithDefault(manifestPath));
    expect(performance.now() - started).toBeLessThan(6000);
    expect(sockets.length).toBeGreaterThan(0); // the download had begun
    expect(report).toMatchObject({ status: 'unavailable', model: { status: 'loading' } });
    expect(report.model.message).toMatch(/still loading/);
  } finally {
    sockets.forEach((s) => s.destroy());
    server.close();
  }
}, 30_000);
