/**
 * The model file missing, then corrupt, then restored. Health says 503 naming the model, the
 * worker holds messages (delayed copies; no attempt is spent, nothing is marked failed or
 * poisoned), and once the right file is in place every image succeeds. The host is started
 * without start.js's model check, as in Azure, where no launcher checks the model first.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { UploadTicket } from '../../src/lib/uploads/createUpload';
import { eventually } from '../support/stack';
import { MODEL_CACHE_DIR, resultRows, useLocalStack } from '../support/stack';
import { photos, resilientUpload } from './support/uploads';

const ROOT = path.resolve(__dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'model-gate-'));
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'models/mobilenetv2-12-int8.json'), 'utf8')) as {
  url: string;
  labels: string;
  file: string;
};
// Unreachable download (port 9, discard): offline, the file can only come from the cache dir.
manifest.url = 'http://127.0.0.1:9/mobilenetv2-12-int8.onnx';
manifest.labels = path.join(ROOT, 'models', manifest.labels);
const manifestPath = path.join(dir, 'manifest.json');
writeFileSync(manifestPath, JSON.stringify(manifest));
const modelFile = path.join(dir, manifest.file);

const stack = useLocalStack({
  skipModelCheck: true,
  env: {
    MODEL_CACHE_DIR: dir,
    CLASSIFIER_MODEL: manifestPath,
    MODEL_WAIT_SECONDS: '2',
    LOCAL_QUEUE_LEASE_SECONDS: '3',
  },
});

async function health(): Promise<{ status: number; body: { model: { status: string; message?: string } } }> {
  const res = await fetch(`${stack.url}/api/health`);
  return { status: res.status, body: (await res.json()) as never };
}

async function poisonCount(): Promise<number> {
  const q = stack.queues().getQueueClient('classify-poison');
  return (await q.exists()) ? ((await q.getProperties()).approximateMessagesCount ?? 0) : 0;
}

describe('model missing or corrupt', () => {
  let tickets: UploadTicket[] = [];

  it('reports a missing model in health and holds uploads as queued', async () => {
    const missing = await health();
    expect(missing.status).toBe(503);
    expect(missing.body.model.message).toMatch(/Could not download model "mobilenetv2-12-int8"/);
    tickets = await Promise.all(photos(6, 200).map((f) => resilientUpload(() => stack.url, f.name, f.bytes)));
    await new Promise((r) => setTimeout(r, 8000)); // several hold periods of 2 s: attempts would have run out
    const rows = await resultRows(stack);
    expect(tickets.map((t) => rows.get(t.id)?.status)).toEqual(tickets.map(() => 'queued'));
    expect(await poisonCount()).toBe(0);
    expect(stack.output).toMatch(/model unavailable, \d+ message\(s\) held for 2 s/);
  }, 60_000);

  it('reports a corrupt model file by name and still holds the work', async () => {
    writeFileSync(modelFile, Buffer.alloc(1024, 7));
    const corrupt = await eventually('health to see the corrupt file', async () => {
      const h = await health();
      return /sha256/.test(h.body.model.message ?? '') ? h : undefined;
    });
    expect(corrupt.status).toBe(503);
    expect(corrupt.body.model.message).toMatch(
      /mobilenetv2-12-int8\.onnx has sha256 [0-9a-f]{64} but manifest "mobilenetv2-12-int8"/,
    );
    await new Promise((r) => setTimeout(r, 4000));
    const rows = await resultRows(stack);
    expect(tickets.map((t) => rows.get(t.id)?.status)).toEqual(tickets.map(() => 'queued'));
    expect(await poisonCount()).toBe(0);
  }, 60_000);

  it('resumes once the right file is in place: every image succeeds, once', async () => {
    copyFileSync(path.join(MODEL_CACHE_DIR, manifest.file), modelFile);
    const rows = await eventually(
      'every held image to succeed',
      async () => {
        const all = await resultRows(stack);
        return tickets.every((t) => all.get(t.id)?.status === 'succeeded') ? all : undefined;
      },
      60_000,
    );
    expect(rows.size).toBe(tickets.length);
    expect((await health()).status).toBe(200);
    expect(await poisonCount()).toBe(0);
  }, 90_000);
});
