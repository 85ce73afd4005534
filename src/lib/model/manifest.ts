/**
 * Model manifests: everything model-specific lives in a JSON file under models/, so a second
 * model is a new manifest, not new code. `CLASSIFIER_MODEL` or `--model` names a manifest by id
 * (models/<id>.json) or by path.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ClassifierError } from '../errors';
import { MODELS_DIR } from '../paths';

export interface ModelManifest {
  id: string;
  description?: string;
  /** File name inside the model cache directory. */
  file: string;
  sha256: string;
  url: string;
  input: { name: string; layout: 'NCHW'; width: number; height: number };
  output: { name: string; kind: 'logits' | 'probabilities' };
  preprocessing: {
    /** Resize so the shorter side has this length, keeping the aspect ratio... */
    resizeShorterSide: number;
    /** ...then cut a centred square of this size (must equal input width and height). */
    centerCrop: number;
    /** Per-channel RGB mean and standard deviation, on pixel values scaled to [0, 1]. */
    mean: [number, number, number];
    std: [number, number, number];
  };
  /** Labels file, relative to the manifest: a JSON array, one name per class index. */
  labels: string;
}

/** A manifest with its labels loaded and its location known. */
export interface LoadedManifest extends ModelManifest {
  manifestPath: string;
  labelNames: string[];
}

export const DEFAULT_MODEL_ID = 'mobilenetv2-12-int8';

/** Loads a manifest by id or path; throws a ClassifierError naming what is wrong. */
export function loadManifest(
  idOrPath: string = process.env.CLASSIFIER_MODEL || DEFAULT_MODEL_ID,
): LoadedManifest {
  const manifestPath = resolveManifestPath(idOrPath);
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ModelManifest;
  } catch (err) {
    throw new ClassifierError('internal_error', `Model manifest ${manifestPath} is not valid JSON.`, {
      cause: err,
    });
  }
  checkManifest(manifest, manifestPath);
  const labelsPath = path.resolve(path.dirname(manifestPath), manifest.labels);
  const labelNames = JSON.parse(readFileSync(labelsPath, 'utf8')) as unknown;
  if (!Array.isArray(labelNames) || !labelNames.every((l) => typeof l === 'string')) {
    throw new ClassifierError('internal_error', `Labels file ${labelsPath} must be a JSON array of strings.`);
  }
  return { ...manifest, manifestPath, labelNames };
}

function resolveManifestPath(idOrPath: string): string {
  const looksLikePath = idOrPath.endsWith('.json') || idOrPath.includes('/') || idOrPath.includes('\\');
  const candidate = looksLikePath ? path.resolve(idOrPath) : path.join(MODELS_DIR, `${idOrPath}.json`);
  if (!existsSync(candidate)) {
    throw new ClassifierError(
      'internal_error',
      `No model manifest "${idOrPath}" (looked for ${candidate}). Use a model id from models/ or a path to a manifest.`,
    );
  }
  return candidate;
}

function checkManifest(m: ModelManifest, where: string): void {
  const problems: string[] = [];
  for (const key of ['id', 'file', 'sha256', 'url', 'labels'] as const) {
    if (typeof m[key] !== 'string' || m[key] === '') problems.push(`"${key}" must be a non-empty string`);
  }
  if (!/^[0-9a-f]{64}$/.test(m.sha256 ?? '')) problems.push('"sha256" must be 64 lowercase hex digits');
  if (!m.input?.name || m.input.layout !== 'NCHW') problems.push('"input" needs a name and layout "NCHW"');
  if (!m.output?.name || !['logits', 'probabilities'].includes(m.output.kind)) {
    problems.push('"output" needs a name and kind "logits" or "probabilities"');
  }
  const p = m.preprocessing;
  if (
    !p ||
    p.centerCrop !== m.input?.width ||
    p.centerCrop !== m.input?.height ||
    p.resizeShorterSide < p.centerCrop
  ) {
    problems.push('"preprocessing.centerCrop" must equal the input size and not exceed resizeShorterSide');
  }
  if (problems.length > 0) {
    throw new ClassifierError(
      'internal_error',
      `Model manifest ${where} is invalid: ${problems.join('; ')}.`,
    );
  }
}

/** The `model` field of a result. */
export const modelRef = (m: ModelManifest): { id: string; sha256: string } => ({
  id: m.id,
  sha256: m.sha256,
});
