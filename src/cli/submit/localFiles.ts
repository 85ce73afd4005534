/**
 * The local side of `classify submit`: each file's content hash, size and format, found
 * before anything is sent. Files that cannot be images (empty, too large, magic bytes of no
 * supported format) fail here with the same error codes the server uses, and are not uploaded.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DecodeLimits } from '../../lib/decode/limits';
import { FORMAT_MIME } from '../../lib/decode/sniff';
import { checkBytes } from '../../lib/decode/validate';
import { ClassifierError } from '../../lib/errors';
import { failedResult, type ClassificationResult } from '../../lib/results/result';

export interface LocalFile {
  file: string;
  name: string;
  size: number;
  sha256: string;
  contentType?: string;
  /** Set when the file failed before upload. */
  failed?: ClassificationResult;
}

export interface InspectOptions {
  limits: DecodeLimits;
  /** The `model` of a result for a file that fails here. */
  model: ClassificationResult['model'];
}

export async function inspectFile(file: string, { limits, model }: InspectOptions): Promise<LocalFile> {
  const bytes = await readFile(file);
  const name = path.basename(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const local: LocalFile = { file, name, size: bytes.length, sha256 };
  try {
    const format = checkBytes(bytes, bytes.length, limits);
    return { ...local, contentType: FORMAT_MIME[format] };
  } catch (err) {
    if (!(err instanceof ClassifierError)) throw err;
    const source = { name, bytes: bytes.length, sha256 };
    return {
      ...local,
      failed: failedResult(source, err, model, `local-${sha256.slice(0, 16)}`),
    };
  }
}
