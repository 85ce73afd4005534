/**
 * The decoder process makes CLASSIFIER_MAX_DECODE_SECONDS a hard bound: a decode past it fails
 * at the bound as a retryable internal_error, the process that held it is killed, and the next
 * decode runs in a fresh one. DECODE_FAULTS (the tests' fault hook) makes the first process hang
 * as a stuck native loader would, or exit.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { DEFAULT_LIMITS } from '../../../src/lib/decode/limits';
import { DecoderProcess } from '../../../src/lib/decode/decoderProcess';
import { ClassifierError } from '../../../src/lib/errors';
import * as img from '../../support/images';

const OPTIONS = { resize: 'crop' as const, width: 224, height: 224, resizeShorterSide: 256 };
const BOUND_1S = { ...OPTIONS, limits: { ...DEFAULT_LIMITS, maxDecodeSeconds: 1 } };

/** The decoder built with DECODE_FAULTS set (read when it is constructed), closed after the tests. */
function decoderWith(fault?: string): () => DecoderProcess {
  let decoder: DecoderProcess;
  beforeAll(() => {
    if (fault) process.env.DECODE_FAULTS = fault;
    decoder = new DecoderProcess();
    delete process.env.DECODE_FAULTS;
  });
  afterAll(() => decoder.close());
  return () => decoder;
}

const failureOf = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (err: unknown) => err,
  );

/** Whether a process with this id still runs (a zombie, dead but not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

/** A 196-megapixel interlaced PNG: loaded whole before it is resized, 2.7 s here (a raised pixel limit lets it in). */
const slowPng = (): Promise<Buffer> =>
  sharp({ create: { width: 14000, height: 14000, channels: 3, background: '#336699' } })
    .png({ progressive: true })
    .toBuffer();

describe('the decoder process', () => {
  const decoder = decoderWith();

  it('decodes as decodeImage does and keeps error codes', async () => {
    const decoded = await decoder().decode(img.photo(img.CAT), { ...OPTIONS, limits: DEFAULT_LIMITS });
    expect(decoded.pixels).toBeInstanceOf(Buffer);
    expect(decoded.pixels.length).toBe(224 * 224 * 3);
    const error = await failureOf(
      decoder().decode(img.photo(img.CAT).subarray(0, 4000), { ...OPTIONS, limits: DEFAULT_LIMITS }),
    );
    expect(error).toBeInstanceOf(ClassifierError);
    expect(error).toMatchObject({ code: 'corrupt_image', retryable: false });
  });

  it('fails a decode at CLASSIFIER_MAX_DECODE_SECONDS, not when libvips next looks at its clock', async () => {
    // An interlaced PNG is loaded whole before it is resized, and libvips checks its timeout
    // only after that stage: in one process, 196 megapixels took 2.7 s to fail under a 1 s bound.
    const slow = await slowPng();
    const limits = { ...DEFAULT_LIMITS, maxPixels: 2e8, maxDecodeSeconds: 1 };
    await decoder().start();
    const pid = decoder().pid!;
    const started = performance.now();
    const error = await failureOf(decoder().decode(slow, { ...OPTIONS, limits }));
    const ms = performance.now() - started;
    expect(error).toMatchObject({ code: 'internal_error', retryable: true });
    expect((error as Error).message).toMatch(/took longer than 1 s/);
    expect(ms).toBeLessThan(1800);
    expect(await gone(pid)).toBe(true);
    // The next decode runs in a new process.
    expect((await decoder().decode(img.photo(img.CAT), BOUND_1S)).pixels.length).toBe(224 * 224 * 3);
    expect(decoder().pid).not.toBe(pid);
  }, 60_000);
});

describe('a decoder process stuck in a decode', () => {
  const decoder = decoderWith('hang-after:2');

  it('is killed at the bound, and the next decode runs in a fresh process', async () => {
    expect((await decoder().decode(img.photo(img.CAT), BOUND_1S)).pixels.length).toBe(224 * 224 * 3);
    const pid = decoder().pid!;
    const started = performance.now();
    const error = await failureOf(decoder().decode(img.photo(img.CAT), BOUND_1S));
    expect(performance.now() - started).toBeLessThan(1800);
    expect(error).toMatchObject({ code: 'internal_error', retryable: true });
    expect((error as Error).message).toMatch(/took longer than 1 s/);
    expect(await gone(pid)).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect((await decoder().decode(img.photo(img.CAT), BOUND_1S)).pixels.length).toBe(224 * 224 * 3);
    }
  }, 30_000);
});

describe('a decoder process that exits', () => {
  const decoder = decoderWith('exit-after:1');

  it('fails what it held as retryable, and the next decode starts another', async () => {
    const error = await failureOf(decoder().decode(img.photo(img.CAT), BOUND_1S));
    expect(error).toMatchObject({ code: 'internal_error', retryable: true });
    expect((error as Error).message).toMatch(/decoder process exited/);
    expect((await decoder().decode(img.photo(img.CAT), BOUND_1S)).pixels.length).toBe(224 * 224 * 3);
  }, 30_000);
});

describe('a decoder process whose parent dies', () => {
  it('ends at once, even in the middle of a decode on a libuv pool thread', async () => {
    // The parent: a process that starts a long decode, reports its decoder's pid, and is then killed.
    const built = path.resolve(__dirname, '../../../dist/src/lib/decode/decoderProcess.js');
    const script = `
      const { DecoderProcess } = require(${JSON.stringify(built)});
      const decoder = new DecoderProcess();
      const bytes = require('node:fs').readFileSync(0);
      decoder.start().then(() => {
        decoder.decode(bytes, { resize: 'crop', width: 224, height: 224, resizeShorterSide: 256,
          limits: { maxBytes: 1e9, maxPixels: 2e8, maxDecodeSeconds: 60 } }).catch(() => undefined);
        setTimeout(() => console.log(decoder.pid), 300); // the decode is under way by then
      });`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    parent.stdin.end(await slowPng());
    const pid = await new Promise<number>((resolve) =>
      parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d)))),
    );
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    const killed = performance.now();
    expect(await gone(pid)).toBe(true);
    // process.exit would wait for the decode to end (2.5 s here); the child kills itself instead
    // (well under 0.7 s here; the bound leaves room for a loaded CI machine).
    expect(performance.now() - killed).toBeLessThan(1500);
  }, 60_000);
});
