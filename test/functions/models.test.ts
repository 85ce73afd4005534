/**
 * Models chosen per request through the whole app and the command line: a folder of
 * manifests named by CLASSIFIER_MODELS_DIR (real ONNX models built by the test) is all it
 * takes. GET /api/models lists them; the synchronous route, uploads, the drop folder (blob
 * metadata `model`), jobs and `classify submit` answer with the model asked for; an unknown
 * id is a 400 naming the known ones; reuse by content never crosses models.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ClassificationResult } from '../../src/lib/results/result';
import { DEFAULT_MODEL_ID } from '../../src/lib/model/manifest';
import { requestUpload, terminalResult } from '../support/api';
import * as img from '../support/images';
import { writeTestModel } from '../../tools/testModels';
import { MODEL_CACHE_DIR, useLocalStack } from '../support/stack';
import { jobEnded, jobResults, parseJsonl, postJob, startJob } from '../jobs/jobApi';

const modelsDir = mkdtempSync(path.join(os.tmpdir(), 'app-models-'));
writeTestModel(modelsDir, { id: 'mean-rgb', layout: 'NCHW', channels: 'RGB', output: 'logits' });
writeTestModel(modelsDir, { id: 'mean-bgr', layout: 'NHWC', channels: 'BGR', output: 'sigmoid' });

const stack = useLocalStack({ env: { CLASSIFIER_MODELS_DIR: modelsDir } });
const RED: [number, number, number] = [220, 30, 30];

type SyncAnswer = ClassificationResult & { error: { code: string; message: string } };

async function classifySync(query: string, bytes: Buffer): Promise<{ status: number; json: SyncAnswer }> {
  const res = await fetch(`${stack.url}/api/classify${query}`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: new Uint8Array(bytes),
  });
  return { status: res.status, json: (await res.json()) as SyncAnswer };
}

const BIN = path.resolve(__dirname, '../../bin/classify.js');
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env: { ...process.env, MODEL_CACHE_DIR, CLASSIFIER_MODELS_DIR: modelsDir },
      maxBuffer: 1 << 24,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

it('lists the installed models, the default first', async () => {
  const models = (await (await fetch(`${stack.url}/api/models`)).json()) as {
    id: string;
    labels: number;
    available: boolean;
    default: boolean;
  }[];
  expect(models[0]).toMatchObject({ id: DEFAULT_MODEL_ID, default: true, labels: 1000, available: true });
  expect(
    models
      .slice(1)
      .map((m) => m.id)
      .sort(),
  ).toEqual(['mean-bgr', 'mean-rgb']);
  expect(models.find((m) => m.id === 'mean-bgr')).toMatchObject({
    labels: 3,
    available: true,
    default: false,
  });
});

it('classifies synchronously with the model asked for, and refuses an unknown one', async () => {
  const red = await img.solidPng(RED);
  const chosen = await classifySync('?model=mean-rgb', red);
  expect(chosen.status).toBe(200);
  expect(chosen.json).toMatchObject({
    model: { id: 'mean-rgb' },
    predictions: expect.arrayContaining([
      expect.objectContaining({ label: 'red', classIndex: expect.any(Number) }),
    ]),
  });
  const byDefault = await classifySync('', img.photo(img.CAT));
  expect(byDefault.json.model.id).toBe(DEFAULT_MODEL_ID);
  const unknown = await classifySync('?model=no-such-model', red);
  expect(unknown.status).toBe(400);
  expect(unknown.json.error.code).toBe('bad_request');
  expect(unknown.json.error.message).toMatch(/known models: .*mean-rgb/);
  const health = (await (await fetch(`${stack.url}/api/health`)).json()) as {
    models: { id: string; loaded: boolean }[];
  };
  expect(health.models.find((m) => m.id === 'mean-rgb')?.loaded).toBe(true);
});

it('classifies an upload with the model it was requested with', async () => {
  const red = await img.solidPng(RED);
  const { status, json } = await requestUpload(stack.url, {
    fileName: 'red.png',
    contentType: 'image/png',
    size: red.length,
    model: 'nope',
  });
  expect(status).toBe(400);
  expect((json as { error: { message: string } }).error.message).toMatch(/Unknown model "nope"/);
  const created = await requestUpload(stack.url, {
    fileName: 'red.png',
    contentType: 'image/png',
    size: red.length,
    model: 'mean-bgr',
  });
  expect(created.status).toBe(201);
  const ticket = created.json as { uploadUrl: string; headers: Record<string, string>; statusUrl: string };
  await fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(red) });
  const result = await terminalResult(ticket.statusUrl);
  expect(result).toMatchObject({
    status: 'succeeded',
    model: { id: 'mean-bgr' },
    predictions: expect.arrayContaining([
      expect.objectContaining({ label: 'red', classIndex: expect.any(Number) }),
    ]),
  });
});

it('classifies a drop-folder blob with the model its metadata names, and fails an unknown one', async () => {
  const images = stack.blobs().getContainerClient('images');
  const red = await img.solidPng(RED);
  await images.getBlockBlobClient('models/red.png').uploadData(red, { metadata: { model: 'mean-rgb' } });
  await images.getBlockBlobClient('models/odd.png').uploadData(red, { metadata: { model: 'nope' } });
  const chosen = await terminalResult(`${stack.url}/api/results?blob=images/models/red.png`);
  expect(chosen).toMatchObject({
    status: 'succeeded',
    model: { id: 'mean-rgb' },
    predictions: expect.arrayContaining([
      expect.objectContaining({ label: 'red', classIndex: expect.any(Number) }),
    ]),
  });
  const odd = await terminalResult(`${stack.url}/api/results?blob=images/models/odd.png`);
  expect(odd).toMatchObject({ status: 'failed', error: { code: 'bad_request' } });
  expect(odd.error!.message).toMatch(/"model" metadata.*Unknown model "nope"|Unknown model "nope"/);
});

it('runs a job with its model, exports it, and never reuses across models', async () => {
  // Not the drop folder: its own classification (default model) would be reused by the default-model job.
  const container = stack.blobs().getContainerClient('modeljobs');
  await container.createIfNotExists();
  const prefix = `job-models-${Date.now()}/`;
  // A red of its own: bytes no earlier test classified (reuse is by content and model).
  await container.getBlockBlobClient(`${prefix}red.png`).uploadData(await img.solidPng([210, 40, 35]));
  await container.getBlockBlobClient(`${prefix}cat.png`).uploadData(img.photo(img.CAT));
  expect((await postJob(stack, { container: 'modeljobs', prefix, model: 'nope' })).status).toBe(400);

  const run = async (model?: string): Promise<ClassificationResult[]> => {
    const job = await jobEnded(stack, await startJob(stack, { container: 'modeljobs', prefix, model }));
    expect(job).toMatchObject({ status: 'succeeded', succeeded: 2 });
    return parseJsonl(await jobResults(stack, job.id, 'jsonl')).sort((a, b) =>
      a.source.name.localeCompare(b.source.name),
    );
  };
  const first = await run('mean-rgb');
  expect(first.map((r) => [r.model.id, r.predictions![0].label, !!r.reused])).toEqual([
    ['mean-rgb', expect.any(String), false],
    ['mean-rgb', 'red', false],
  ]);
  // The same bytes under the default model: classified afresh, not reused from mean-rgb.
  const other = await run();
  expect(other.map((r) => [r.model.id, !!r.reused])).toEqual([
    [DEFAULT_MODEL_ID, false],
    [DEFAULT_MODEL_ID, false],
  ]);
  // The same model again: reused, and still that model's answer.
  const again = await run('mean-rgb');
  expect(again.map((r) => [r.model.id, r.predictions![0].label, !!r.reused])).toEqual([
    ['mean-rgb', first[0].predictions![0].label, true],
    ['mean-rgb', 'red', true],
  ]);
});

describe('the command line', () => {
  it('lists the default and the models of CLASSIFIER_MODELS_DIR', async () => {
    const run = await cli(['models']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^model .*\\n${DEFAULT_MODEL_ID} \\(default\\) +1000 +224x224 NCHW +logits +yes`),
    );
    expect(run.stdout).toMatch(/\nmean-bgr +3 +32x32 NHWC +sigmoid +yes/);
    const json = JSON.parse((await cli(['models', '--json'])).stdout) as { id: string }[];
    expect(json.map((m) => m.id)).toEqual([DEFAULT_MODEL_ID, 'mean-bgr', 'mean-rgb']);
  });

  it('classifies a folder with --model, and submits one as a job with --model', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'models-cli-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'red.png'), await img.solidPng(RED));
    const local = await cli(['--model', 'mean-rgb', '--jsonl', dir]);
    expect(local.code).toBe(0);
    expect(JSON.parse(local.stdout)).toMatchObject({
      model: { id: 'mean-rgb' },
      predictions: expect.arrayContaining([
        expect.objectContaining({ label: 'red', classIndex: expect.any(Number) }),
      ]),
    });
    const out = path.join(dir, '..', `models-cli-${Date.now()}.jsonl`);
    const submitted = await cli(['submit', dir, '--api', stack.url, '--model', 'mean-bgr', '--out', out]);
    expect(submitted.code).toBe(0);
    const [result] = parseJsonl(readFileSync(out, 'utf8'));
    expect(result).toMatchObject({
      model: { id: 'mean-bgr' },
      predictions: expect.arrayContaining([
        expect.objectContaining({ label: 'red', classIndex: expect.any(Number) }),
      ]),
    });
    expect((await cli(['submit', dir, '--api', stack.url, '--model', 'bad id!'])).code).toBe(2);
  });
});
