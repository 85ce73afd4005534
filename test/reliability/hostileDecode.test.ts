/**
 * Hostile files at the decoder (src/lib/decode/decodeImage.ts): every one ends with a contract
 * error code or a decoded crop, quickly, without fetching anything or holding huge buffers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeImage } from '../../src/lib/decode/decodeImage';
import { DEFAULT_LIMITS } from '../../src/lib/decode/limits';
import { ClassifierError } from '../../src/lib/errors';
import * as hostile from './support/hostileImages';

const OPTIONS = {
  limits: DEFAULT_LIMITS,
  resize: 'crop' as const,
  width: 224,
  height: 224,
  resizeShorterSide: 256,
};

async function codeOf(bytes: Buffer): Promise<string> {
  try {
    await decodeImage(bytes, OPTIONS);
    return 'decoded';
  } catch (err) {
    if (err instanceof ClassifierError) return err.code;
    throw err;
  }
}

/** Runs `fn` and reports its duration and how much the process's RSS grew meanwhile. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; rssGrowthMb: number }> {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0, rssGrowthMb: (process.memoryUsage().rss - rss0) / 2 ** 20 };
}

describe('decoder against hostile files', () => {
  it('rejects a 20000x20000 zero-filled PNG (a few hundred KB) from its header, before decoding', async () => {
    const bomb = await hostile.zeroPngBomb(20000, 20000);
    expect(bomb.length).toBeLessThan(1_000_000);
    const { value, ms, rssGrowthMb } = await measured(() => codeOf(bomb));
    expect(value).toBe('image_too_large');
    expect(ms).toBeLessThan(1000);
    expect(rssGrowthMb).toBeLessThan(100); // 400 MB if it had been decoded
  }, 60_000);

  it('decodes a 7000x7000 zero PNG just under the pixel limit without holding it whole', async () => {
    const bomb = await hostile.zeroPngBomb(7000, 7000);
    const { value, ms } = await measured(() => codeOf(bomb));
    expect(value).toBe('decoded');
    expect(ms).toBeLessThan(15_000);
  }, 60_000);

  it('rejects a JPEG whose header declares 60000x60000 (image_too_large)', async () => {
    expect(await codeOf(await hostile.jpegDeclaring(60000, 60000))).toBe('image_too_large');
  });

  it('decodes a JPEG whose header declares more rows than its data holds as what it recovers, without crashing', async () => {
    // libjpeg reports this as a warning ("premature end of data segment") and pads the image;
    // refusing warnings would also refuse many real camera files, so the recovered pixels are
    // classified (docs/reliability.md). The declared size is still bounded by the pixel limit.
    expect(await codeOf(await hostile.jpegDeclaring(2000, 2000))).toBe('decoded');
  });

  it('fails a PNG with a wrong IDAT CRC (corrupt_image)', async () => {
    expect(await codeOf(await hostile.pngWithBadCrc())).toBe('corrupt_image');
  });

  it('treats a GIF/HTML polyglot as the GIF it is, and HTML-first bytes as unsupported', async () => {
    const polyglot = await hostile.gifHtmlPolyglot();
    expect(polyglot.includes(Buffer.from('<script>'))).toBe(true);
    expect(await codeOf(polyglot)).toBe('decoded');
    expect(await codeOf(hostile.htmlThenGif(polyglot))).toBe('unsupported_format');
  });

  it('refuses SVG with external references without fetching any of them', async () => {
    const requests: string[] = [];
    const server: Server = createServer((req, res) => (requests.push(req.url ?? ''), res.end('x')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await codeOf(hostile.svgWithExternalRefs(url))).toBe('unsupported_format');
      await new Promise((r) => setTimeout(r, 300));
      expect(requests).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('copes with 1 MB of junk EXIF/APP1 segments quickly', async () => {
    const { value, ms } = await measured(async () => codeOf(await hostile.jpegWithHugeExif(16)));
    expect(['decoded', 'corrupt_image']).toContain(value);
    expect(ms).toBeLessThan(5000);
  });

  it('decodes only the first frame of a 3000-frame GIF, fast and small', async () => {
    const gif = await hostile.manyFrameGif(3000);
    const { value, ms, rssGrowthMb } = await measured(() => codeOf(gif));
    expect(value).toBe('decoded');
    expect(ms).toBeLessThan(3000);
    expect(rssGrowthMb).toBeLessThan(200);
  }, 60_000);

  it('rejects a GIF declaring 65535x65535 from its header', async () => {
    expect(await codeOf(hostile.gifDeclaring(65535, 65535))).toBe('image_too_large');
  });
});
