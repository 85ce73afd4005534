/**
 * `classify <file|dir>...`: classifies local files in-process, no storage needed.
 * Exit 0 when every image succeeded, 1 when any failed (all results are still written).
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { Classifier } from '../lib/classify/classifier';
import { classifyPipeline, type PipelineItem } from '../lib/classify/pipeline';
import { checkSize } from '../lib/decode/validate';
import type { DecodeLimits } from '../lib/decode/limits';
import { ClassifierError } from '../lib/errors';
import { expandInputs } from './inputs';
import { createWriter, type OutputFormat } from './output';
import { startProgress } from './progress';

export interface ClassifyCommandOptions {
  paths: string[];
  top: number;
  format: OutputFormat;
  out?: string;
  model?: string;
}

export async function classifyCommand(options: ClassifyCommandOptions): Promise<number> {
  const files = await expandInputs(options.paths);
  const classifier = await Classifier.create({ model: options.model });
  const out = options.out ? createWriteStream(options.out) : process.stdout;
  const writer = createWriter(options.format, out);
  const progress = startProgress(files.length, {
    label: 'classified',
    enabled: !!options.out || !process.stdout.isTTY,
  });
  let failed = 0;
  const items = files.map((file): PipelineItem => ({
    input: { name: path.basename(file), top: options.top },
    read: () => readLimited(file, classifier.limits),
  }));
  let i = 0;
  try {
    for await (const result of classifyPipeline(items, classifier)) {
      result.file = files[i++];
      if (result.status !== 'succeeded') failed++;
      writer.write(result);
      progress.tick({ failed });
    }
  } finally {
    // Ends the inference thread and the decoder process before the process exits, rather than
    // leaving them to be torn down under a running batch.
    await classifier.close();
  }
  writer.end();
  progress.stop();
  if (out !== process.stdout) {
    out.end();
    await finished(out);
  }
  return failed > 0 ? 1 : 0;
}

/** Reads a file, refusing before reading when it is over the byte limit. */
async function readLimited(file: string, limits: DecodeLimits): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new ClassifierError('blob_not_found', `Could not read ${file}: ${(err as Error).message}.`, {
      cause: err,
    });
  }
  try {
    checkSize((await handle.stat()).size, limits);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
