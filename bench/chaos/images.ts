/**
 * The chaos run's images and what each must come out as. Photos come from
 * ../shared/datasets/imagenet-val-dev (small, so the run is about faults, not decoding), each
 * sent with unique bytes (a JPEG comment carrying a serial, which decoders ignore) unless the
 * plan repeats one on purpose; hostile files are made here. The expected answer of every
 * distinct picture is found first by `classify` on the command line, in-process, away from the
 * app, storage and the faults: the oracle the checker holds the app's results against.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import { PROJECT_ROOT } from '../../src/lib/paths';
import { HOSTILE_KINDS, seededRandom, type Content, type Hostile } from './plan';

const VAL_DIR = path.resolve(PROJECT_ROOT, '../shared/datasets/imagenet-val-dev/images');

/** What a result must say: the top-1 label, or the error code. */
export type Expected = { label: string } | { code: string };

export interface ImageSet {
  /** Photos of the pool. */
  count: number;
  /** The bytes to send for one image (`serial` makes a photo's bytes unique). */
  bytes(content: Content, serial: string): Buffer;
  expected(content: Content): Expected;
  /** Declared content type of an upload. */
  contentType(content: Content): string;
}

/** The serial of a drop-folder name's write: `drop-<name index>-w<write>`. */
export const dropSerial = (name: number, write: number): string => `drop-${name}-w${write}`;

/** A JPEG with a comment segment right after SOI: other bytes, the same picture. */
function withComment(jpeg: Buffer, text: string): Buffer {
  const body = Buffer.from(text);
  const com = Buffer.alloc(4);
  com.writeUInt16BE(0xfffe, 0);
  com.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), com, body, jpeg.subarray(2)]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function png(width: number, height: number, idat: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Hostile files: text and SVG (not images), a PNG whose pixel data fails its CRC, a PNG declaring 900 megapixels. */
export function hostileBytes(kind: Hostile): Buffer {
  switch (kind) {
    case 'text':
      return Buffer.from('This is not an image.\n'.repeat(20));
    case 'svg':
      return Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><image href="http://127.0.0.1:9/x.png"/></svg>',
      );
    case 'corrupt-png': {
      const rows = Buffer.alloc(64 * 65, 0x80);
      for (let y = 0; y < 64; y++) rows[y * 65] = 0; // filter byte of each row
      const good = png(64, 64, deflateSync(rows));
      const idatData = good.indexOf('IDAT') + 4;
      good[idatData + 5] ^= 0xff; // the chunk's CRC no longer matches
      return good;
    }
    case 'huge-png':
      return png(30000, 30000, deflateSync(Buffer.alloc(1024)));
  }
}

/**
 * Picks `count` JPEG photos of the dataset by seed and asks the command line what each, and
 * each hostile file, is.
 */
export async function prepareImages(seed: number, count: number): Promise<ImageSet> {
  const random = seededRandom(seed ^ 0x5eed);
  const files = readdirSync(VAL_DIR).sort();
  const photos: Buffer[] = [];
  while (photos.length < count) {
    const bytes = readFileSync(path.join(VAL_DIR, files[Math.floor(random() * files.length)]));
    if (bytes[0] === 0xff && bytes[1] === 0xd8 && !photos.some((p) => p.equals(bytes))) photos.push(bytes);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chaos-oracle-'));
  try {
    photos.forEach((bytes, i) => writeFileSync(path.join(dir, `photo-${i}.jpg`), bytes));
    for (const kind of HOSTILE_KINDS)
      writeFileSync(path.join(dir, `hostile-${kind}.bin`), hostileBytes(kind));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(PROJECT_ROOT, 'bin/classify.js'), '--json', '--top', '1', dir],
      { maxBuffer: 64 * 1024 * 1024 },
    ).catch((err: { code?: number; stdout?: string }) => {
      // Exit 1: some images failed, as the hostile ones must; the results are all printed.
      if (err.code === 1 && err.stdout) return { stdout: err.stdout };
      throw err;
    });
    const answers = new Map<string, Expected>();
    for (const r of JSON.parse(stdout) as {
      source: { name: string };
      predictions?: { label: string }[];
      error?: { code: string };
    }[]) {
      answers.set(r.source.name, r.error ? { code: r.error.code } : { label: r.predictions![0].label });
    }
    const answer = (name: string): Expected => {
      const found = answers.get(name);
      if (!found) throw new Error(`classify gave no answer for ${name}`);
      return found;
    };
    const photoAnswers = photos.map((_, i) => answer(`photo-${i}.jpg`));
    const hostileAnswers = new Map(HOSTILE_KINDS.map((k) => [k, answer(`hostile-${k}.bin`)]));
    return {
      count,
      bytes: (content, serial) =>
        'hostile' in content
          ? hostileBytes(content.hostile)
          : withComment(
              photos[content.photo],
              // A repeat carries the serial of the drop-folder write it repeats: the very same bytes.
              `chaos ${seed} ${content.repeatOf === undefined ? serial : dropSerial(content.repeatOf, 0)}`,
            ),
      expected: (content) =>
        'hostile' in content ? hostileAnswers.get(content.hostile)! : photoAnswers[content.photo],
      contentType: (content) => ('hostile' in content ? 'image/png' : 'image/jpeg'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
