import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadManifest, type ModelManifest } from '../../../src/lib/model/manifest';
import { ensureModelFile } from '../../../src/lib/model/modelFile';

const payload = Buffer.from('not really a model, but bytes with a known hash');
const sha256 = createHash('sha256').update(payload).digest('hex');

function manifestFor(url: string, hash = sha256): ModelManifest {
  return { ...loadManifest('mobilenetv2-12-int8'), file: 'test-model.onnx', url, sha256: hash };
}

describe('ensureModelFile', () => {
  let server: http.Server;
  let base: string;
  let requests = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests++;
      if (req.url === '/model') res.end(payload);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'model-cache-'));

  it('downloads a missing file, checks its hash and leaves no partial file', async () => {
    const dir = tempDir();
    const file = await ensureModelFile(manifestFor(`${base}/model`), { cacheDir: dir, progress: null });
    expect(readFileSync(file)).toEqual(payload);
    expect(readdirSync(dir)).toEqual(['test-model.onnx']);
  });

  it('uses a cached file without downloading', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'test-model.onnx'), payload);
    const before = requests;
    await ensureModelFile(manifestFor(`${base}/model`), { cacheDir: dir });
    expect(requests).toBe(before);
  });

  it('refuses a download whose sha256 differs, keeping nothing', async () => {
    const dir = tempDir();
    await expect(
      ensureModelFile(manifestFor(`${base}/model`, '0'.repeat(64)), { cacheDir: dir, progress: null }),
    ).rejects.toThrow(/sha256 .* expected 0{64}; the file was discarded/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a cached file whose sha256 differs and says how to fix it', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'test-model.onnx'), 'tampered');
    await expect(ensureModelFile(manifestFor(`${base}/model`), { cacheDir: dir })).rejects.toThrow(
      /Delete the file/,
    );
  });

  it('explains an unreachable download', async () => {
    const dir = tempDir();
    await expect(
      ensureModelFile(manifestFor('http://127.0.0.1:9/model'), { cacheDir: dir, progress: null }),
    ).rejects.toThrow(/Could not download model .* place test-model.onnx in MODEL_CACHE_DIR/);
    await expect(
      ensureModelFile(manifestFor(`${base}/missing`), { cacheDir: dir, progress: null }),
    ).rejects.toThrow(/HTTP 404/);
    expect(existsSync(path.join(dir, 'test-model.onnx'))).toBe(false);
  });

  it('verifies the real model in MODEL_CACHE_DIR', async () => {
    const file = await ensureModelFile(loadManifest(), { download: false });
    expect(path.basename(file)).toBe('mobilenetv2-12-int8.onnx');
  });
});
