/**
 * Model manifests: everything model-specific lives in a JSON file, so another model is a new
 * manifest, not new code. The manifests the app knows are those in models/ and in the folders
 * of CLASSIFIER_MODELS_DIR; `CLASSIFIER_MODEL` names the default, and requests, `--model` and
 * jobs name one by id (or, on the command line, by path). A manifest describes the model's own
 * input: layout (NCHW or NHWC), channel order, pixel scale, mean and std, size and resize
 * policy, and what its output means (logits, probabilities, or independent sigmoid scores).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ClassifierError } from '../errors';
import { MODELS_DIR } from '../paths';
import { INT8_MODES, type Int8Mode } from './int8Weights';

type Triple = [number, number, number];

export interface ModelManifest {
  id: string;
  description?: string;
  /** File name: beside the manifest if it is there, else in the model cache directory (downloaded from `url`). */
  file: string;
  sha256: string;
  url: string;
  input: { name: string; layout: 'NCHW' | 'NHWC'; width: number; height: number };
  /** logits (softmax applied), probabilities (as they are), sigmoid (multi-label: each class scored on its own). */
  output: { name: string; kind: 'logits' | 'probabilities' | 'sigmoid' };
  preprocessing: {
    /** `crop` (default): shorter side to `resizeShorterSide`, then the centred input-size region. `squash`: straight to the input size. */
    resize?: 'crop' | 'squash';
    /** `crop` only; default the input's longer side (no margin). */
    resizeShorterSide?: number;
    /** Older manifests: the crop's side, which must equal the input size. */
    centerCrop?: number;
    /** The channel order the model expects (default RGB). */
    channels?: 'RGB' | 'BGR';
    /** What a pixel value becomes before mean and std: 0-1 (default), 0-255, or -1-1. */
    scale?: '0-1' | '0-255' | '-1-1';
    /** Per channel, in the model's channel order and in the units of `scale` (default 0 and 1). */
    mean?: Triple;
    std?: Triple;
  };
  /** Labels file, relative to the manifest: a JSON array, or text with one label per line; one per class index. */
  labels: string;
  /**
   * How int8 weights run (int8Weights.ts): `u8-weights` (default: exact at int8 speed on every
   * x64 CPU), `exact-kernels` (ONNX Runtime's exact and slower kernels, for forms the rewrite
   * cannot reach), `as-published` (as the file is; may clip on x64 CPUs without VNNI).
   */
  int8?: Int8Mode;
}

/** A manifest with its labels loaded and its location known. */
export interface LoadedManifest extends ModelManifest {
  manifestPath: string;
  labelNames: string[];
}

/** Everything the decoder and the tensor fill need, defaults applied. */
export interface Preprocess {
  resize: 'crop' | 'squash';
  width: number;
  height: number;
  resizeShorterSide: number;
  channels: 'RGB' | 'BGR';
  scale: '0-1' | '0-255' | '-1-1';
  mean: Triple;
  std: Triple;
}

export const DEFAULT_MODEL_ID = 'mobilenetv2-12-int8';
/** What a model id may be: it travels in URLs, JSON, blob metadata and table row keys. */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function preprocessOf(m: Pick<ModelManifest, 'input' | 'preprocessing'>): Preprocess {
  const p = m.preprocessing ?? {};
  const { width, height } = m.input;
  return {
    resize: p.resize ?? 'crop',
    width,
    height,
    resizeShorterSide: p.resizeShorterSide ?? Math.max(width, height),
    channels: p.channels ?? 'RGB',
    scale: p.scale ?? '0-1',
    mean: p.mean ?? [0, 0, 0],
    std: p.std ?? [1, 1, 1],
  };
}

/** Loads a manifest by id (models/ and CLASSIFIER_MODELS_DIR) or path; throws a ClassifierError naming what is wrong. */
export function loadManifest(
  idOrPath: string = process.env.CLASSIFIER_MODEL || DEFAULT_MODEL_ID,
): LoadedManifest {
  return readManifest(resolveManifestPath(idOrPath));
}

function readManifest(manifestPath: string): LoadedManifest {
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
  const labelNames = readLabels(labelsPath);
  return { ...manifest, manifestPath, labelNames };
}

function readLabels(labelsPath: string): string[] {
  const text = readFileSync(labelsPath, 'utf8');
  if (!labelsPath.endsWith('.json')) {
    // One label per line (Custom Vision's labels.txt, torchvision's lists); trailing blank lines dropped.
    const lines = text.split(/\r?\n/).map((l) => l.trim());
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines;
  }
  const labels = JSON.parse(text) as unknown;
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) {
    throw new ClassifierError('internal_error', `Labels file ${labelsPath} must be a JSON array of strings.`);
  }
  return labels;
}

/** The folders manifests are found in: models/, then each of CLASSIFIER_MODELS_DIR (path-list separated). */
export function manifestDirs(env: Record<string, string | undefined> = process.env): string[] {
  const extra = (env.CLASSIFIER_MODELS_DIR ?? '').split(path.delimiter).filter(Boolean);
  return [MODELS_DIR, ...extra.map((d) => path.resolve(d))];
}

/** Every manifest the app knows, by id (the first folder that has an id wins), each read and checked. */
export function installedManifests(dirs: string[] = manifestDirs()): Map<string, LoadedManifest> {
  const found = new Map<string, LoadedManifest>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(dir, name);
      let manifest: LoadedManifest;
      try {
        manifest = readManifest(file);
      } catch {
        continue; // a labels file or another JSON file, not a manifest
      }
      if (!found.has(manifest.id)) found.set(manifest.id, manifest);
    }
  }
  return found;
}

function resolveManifestPath(idOrPath: string): string {
  const looksLikePath = idOrPath.endsWith('.json') || idOrPath.includes('/') || idOrPath.includes('\\');
  if (looksLikePath) {
    const candidate = path.resolve(idOrPath);
    if (existsSync(candidate)) return candidate;
    throw new ClassifierError('internal_error', `No model manifest at ${candidate}.`);
  }
  for (const dir of manifestDirs()) {
    const candidate = path.join(dir, `${idOrPath}.json`);
    if (existsSync(candidate)) return candidate;
  }
  const installed = installedManifests();
  const byId = installed.get(idOrPath);
  if (byId) return byId.manifestPath;
  throw new ClassifierError(
    'internal_error',
    `No model manifest "${idOrPath}" in ${manifestDirs().join(', ')}. Known models: ${[...installed.keys()].join(', ') || 'none'}; or give a path to a manifest.`,
  );
}

function checkManifest(m: ModelManifest, where: string): void {
  const problems: string[] = [];
  for (const key of ['id', 'file', 'sha256', 'url', 'labels'] as const) {
    if (typeof m[key] !== 'string' || m[key] === '') problems.push(`"${key}" must be a non-empty string`);
  }
  if (!/^[0-9a-f]{64}$/.test(m.sha256 ?? '')) problems.push('"sha256" must be 64 lowercase hex digits');
  if (typeof m.id === 'string' && !MODEL_ID.test(m.id))
    problems.push('"id" must be letters, digits, ".", "_" and "-" (at most 100), as requests name it');
  const input = m.input;
  if (!input?.name || !['NCHW', 'NHWC'].includes(input.layout))
    problems.push('"input" needs a name and layout "NCHW" or "NHWC"');
  if (!(
    Number.isSafeInteger(input?.width) &&
    input.width > 0 &&
    Number.isSafeInteger(input?.height) &&
    input.height > 0
  ))
    problems.push('"input.width" and "input.height" must be whole numbers above 0');
  if (!m.output?.name || !['logits', 'probabilities', 'sigmoid'].includes(m.output.kind)) {
    problems.push('"output" needs a name and kind "logits", "probabilities" or "sigmoid"');
  }
  const p = m.preprocessing ?? {};
  const enumOf = (key: keyof ModelManifest['preprocessing'], allowed: string[]) => {
    if (p[key] !== undefined && !allowed.includes(p[key] as string))
      problems.push(`"preprocessing.${key}" must be one of ${allowed.join(', ')}`);
  };
  enumOf('resize', ['crop', 'squash']);
  enumOf('channels', ['RGB', 'BGR']);
  enumOf('scale', ['0-1', '0-255', '-1-1']);
  for (const key of ['mean', 'std'] as const) {
    const v = p[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')))
      problems.push(`"preprocessing.${key}" must be three numbers`);
  }
  if (p.std?.some((s) => s === 0)) problems.push('"preprocessing.std" must not be 0');
  if (m.int8 !== undefined && !INT8_MODES.includes(m.int8))
    problems.push(`"int8" must be one of ${INT8_MODES.join(', ')}`);
  if (input && p.centerCrop !== undefined && (p.centerCrop !== input.width || p.centerCrop !== input.height))
    problems.push('"preprocessing.centerCrop" must equal the input width and height');
  if (input && p.resizeShorterSide !== undefined && p.resizeShorterSide < Math.max(input.width, input.height))
    problems.push('"preprocessing.resizeShorterSide" must be at least the input\'s longer side');
  if (problems.length > 0) {
    throw new ClassifierError(
      'internal_error',
      `Model manifest ${where} is invalid: ${problems.join('; ')}.`,
    );
  }
}

/**
 * A requested model id as it arrives (JSON, query, blob metadata), checked for shape only; the
 * caller then asks Models, which answers an unknown id with the list of known ones.
 */
export function parseModelId(value: unknown, what = '"model"'): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !MODEL_ID.test(value))
    throw new ClassifierError(
      'bad_request',
      `${what} must be a model id (letters, digits, ".", "_" and "-"; GET /api/models lists them), got ${JSON.stringify(value)?.slice(0, 60)}.`,
    );
  return value;
}

/** The `model` field of a result. */
export const modelRef = (m: ModelManifest): { id: string; sha256: string } => ({
  id: m.id,
  sha256: m.sha256,
});
