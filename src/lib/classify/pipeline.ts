/**
 * Classifies many inputs with bounded memory: at most `window` items are read, decoded or
 * waiting for inference at once, so reading, decoding and inference overlap while a folder of
 * a million files never sits in memory. Results come out in input order.
 */
import { failedResult, withTimeBefore, type ClassificationResult } from '../results/result';
import type { Classifier, ClassifyInput } from './classifier';

export interface PipelineItem {
  input: ClassifyInput;
  /** Loads the bytes; a ClassifierError thrown here becomes the item's failed result. */
  read(): Promise<Buffer>;
}

export interface PipelineOptions {
  /** Items in flight at once (default 24: enough for every decode slot plus a full batch waiting). */
  window?: number;
}

export async function* classifyPipeline(
  items: Iterable<PipelineItem>,
  classifier: Classifier,
  options: PipelineOptions = {},
): AsyncGenerator<ClassificationResult> {
  const window = options.window ?? 24;
  const inFlight: Promise<ClassificationResult>[] = [];
  for (const item of items) {
    inFlight.push(classifyOne(item, classifier));
    if (inFlight.length >= window) yield await inFlight.shift()!;
  }
  while (inFlight.length > 0) yield await inFlight.shift()!;
}

async function classifyOne(item: PipelineItem, classifier: Classifier): Promise<ClassificationResult> {
  let bytes: Buffer;
  const started = performance.now();
  try {
    bytes = await item.read();
  } catch (err) {
    return failedResult({ name: item.input.name }, err, classifier.model, item.input.id);
  }
  const readMs = performance.now() - started;
  return withTimeBefore(await classifier.classify(bytes, item.input), { queueMs: 0, downloadMs: readMs });
}
