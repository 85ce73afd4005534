/**
 * The models of one process, chosen per request by manifest id: each is loaded (file verified
 * or downloaded, session created and warmed) by the first request for it, then shared by every
 * caller, each with its own session, inference thread and batcher. Loaded models are kept by
 * least-recent use within a memory budget (CLASSIFIER_MODELS_MEMORY_MB, default 1024): loading
 * one past the budget closes the least recently used, once its work in flight is done. Each
 * model's readiness is its own, so a model that cannot load holds only the work that asked for it.
 */
import { existsSync, statSync } from 'node:fs';
import { intFromEnv } from '../env';
import { ClassifierError } from '../errors';
import { installedManifests, loadManifest, type LoadedManifest } from '../model/manifest';
import { modelFilePath } from '../model/modelFile';
import { DecoderProcess } from '../decode/decoderProcess';
import { Classifier, type ClassifierOptions } from './classifier';

/**
 * After a failed load, `ready()` answers false for this long without trying again: a load
 * hashes the whole model file (or tries a download), which a burst of messages must not repeat.
 */
const RECHECK_MS = 2000;
/** A request for an id not known is looked up on disk again at most this often (a manifest added while running). */
const RESCAN_MS = 10_000;

export interface ModelsOptions {
  /** How every classifier runs (threads, batching, limits, cache directory). */
  classifier?: Omit<ClassifierOptions, 'model'>;
  /** The default model: an id or a manifest path (default CLASSIFIER_MODEL, else mobilenetv2-12-int8). */
  defaultModel?: string;
  /** Memory for loaded models, in bytes (default CLASSIFIER_MODELS_MEMORY_MB, else 1024 MB). */
  memoryBudgetBytes?: number;
  /**
   * What a model just loaded counts against the budget (as lru-cache's sizeCalculation); default
   * `measuredSize`. The largest count of a model is kept across its unloads.
   */
  sizeOf?: (load: ModelLoadSize) => number;
  /** Folders of manifests (default: models/ and CLASSIFIER_MODELS_DIR). */
  manifestDirs?: string[];
}

export interface ModelLoadSize {
  id: string;
  /** The model file's size. */
  fileBytes: number;
  /** How much the process's resident set grew while the model loaded (can be 0 or less: other work, GC). */
  rssGrowthBytes: number;
}

/**
 * The resident-set growth of the load, at least the file's size: what ONNX Runtime holds (weights,
 * prepacked copies, arenas) is not reported any other way. A rough count, since other work in the
 * process moves the resident set too; kept as the largest seen, since a reload into memory an
 * unload freed barely grows the process and would under-count it.
 */
export const measuredSize = ({ fileBytes, rssGrowthBytes }: ModelLoadSize): number =>
  Math.max(fileBytes, rssGrowthBytes);

/** What `GET /api/models` and `npx classify models` show of a manifest. */
export interface ModelInfo {
  id: string;
  description?: string;
  /** How many labels (classes). */
  labels: number;
  input: LoadedManifest['input'];
  output: LoadedManifest['output']['kind'];
  sha256: string;
  /** The model file is on this machine (beside the manifest or in the cache); else the first request downloads it. */
  available: boolean;
  default: boolean;
  /** Loaded in this process now. */
  loaded: boolean;
}

/** The model a piece of work asked for could not be loaded: the work waits for it, it is not the image's fault. */
export class ModelUnavailableError extends ClassifierError {
  constructor(
    readonly model: string,
    cause: unknown,
  ) {
    super('internal_error', `Model "${model}" is not available: ${(cause as Error).message}`, {
      retryable: true,
      cause,
    });
  }
}

interface Loaded {
  classifier: Classifier;
  lastUsed: number;
}

interface Entry {
  manifest: LoadedManifest;
  loading?: Promise<Classifier>;
  loaded?: Loaded;
  /** The largest count of this model against the budget so far (see measuredSize). */
  bytes: number;
  failedAt: number;
  failure: string;
}

const newEntry = (manifest: LoadedManifest): Entry => ({ manifest, bytes: 0, failedAt: 0, failure: '' });

export class Models {
  private readonly entries = new Map<string, Entry>();
  private readonly defaultManifest: () => LoadedManifest;
  private scannedAt = 0;
  private readonly budget: number;
  /** One decoder process for every model: decoding does not depend on which model asked. */
  private readonly decoder: DecoderProcess;

  constructor(private readonly options: ModelsOptions = {}) {
    let byDefault: LoadedManifest | undefined;
    this.defaultManifest = () => (byDefault ??= loadManifest(options.defaultModel));
    this.budget = options.memoryBudgetBytes ?? intFromEnv('CLASSIFIER_MODELS_MEMORY_MB', 1024) * 1024 * 1024;
    this.decoder = options.classifier?.decoder ?? new DecoderProcess();
  }

  /** The manifest of `id` (default: the default model); an unknown id is a `bad_request` naming the known ones. */
  manifest(id?: string): LoadedManifest {
    return this.entry(id).manifest;
  }

  /** Whether `id` names an installed model (looked up on disk again at most every RESCAN_MS). */
  has(id: string): boolean {
    try {
      this.entry(id);
      return true;
    } catch {
      return false;
    }
  }

  /** The default model's id. */
  get defaultId(): string {
    return this.defaultManifest().id;
  }

  /** Every installed manifest, the default first. */
  list(): ModelInfo[] {
    this.rescan();
    const cacheDir = this.options.classifier?.cacheDir;
    return [...this.entries.values()]
      .sort((a, b) => Number(b.manifest.id === this.defaultId) - Number(a.manifest.id === this.defaultId))
      .map(({ manifest, loaded }) => ({
        id: manifest.id,
        description: manifest.description,
        labels: manifest.labelNames.length,
        input: manifest.input,
        output: manifest.output.kind,
        sha256: manifest.sha256,
        available: existsSync(modelFilePath(manifest, { cacheDir })),
        default: manifest.id === this.defaultId,
        loaded: loaded !== undefined,
      }));
  }

  /** The classifier of `id` (default: the default model), loading it on the first call and again after a failed load. */
  classifier(id?: string): Promise<Classifier> {
    const entry = this.entry(id);
    if (entry.loaded) {
      entry.loaded.lastUsed = performance.now();
      return Promise.resolve(entry.loaded.classifier);
    }
    // Just failed: the same answer without another try (a load hashes the file or downloads it).
    if (!entry.loading && Date.now() - entry.failedAt <= RECHECK_MS)
      return Promise.reject(new ClassifierError('internal_error', entry.failure, { retryable: true }));
    entry.loading ??= this.load(entry).finally(() => (entry.loading = undefined));
    return entry.loading;
  }

  /** Whether `id` loads now; after a failure, false for RECHECK_MS without trying. Unknown ids are not ready. */
  async ready(id?: string): Promise<boolean> {
    let entry: Entry;
    try {
      entry = this.entry(id);
    } catch {
      return false;
    }
    if (entry.loaded) return true;
    if (Date.now() - entry.failedAt <= RECHECK_MS) return false;
    try {
      await this.classifier(id);
      return true;
    } catch {
      return false;
    }
  }

  /** Whether a load of `id` (default: the default model) is under way now. */
  loading(id?: string): boolean {
    try {
      return this.entry(id).loading !== undefined;
    } catch {
      return false;
    }
  }

  /** Why the last load of `id` failed ('' when it has not). */
  lastFailure(id?: string): string {
    return this.entries.get(id ?? this.defaultId)?.failure ?? '';
  }

  /** The models loaded now and the memory each took, most recently used first. */
  loaded(): { id: string; bytes: number }[] {
    return [...this.entries.values()]
      .filter((e) => e.loaded)
      .sort((a, b) => b.loaded!.lastUsed - a.loaded!.lastUsed)
      .map((e) => ({ id: e.manifest.id, bytes: e.bytes }));
  }

  /** Closes every loaded model (tests and tools). */
  async close(): Promise<void> {
    // A load still under way would leave its session (and thread) behind.
    await Promise.allSettled([...this.entries.values()].map((e) => e.loading ?? Promise.resolve()));
    await Promise.all([...this.entries.values()].map((e) => this.evict(e)));
    if (!this.options.classifier?.decoder) await this.decoder.close();
  }

  private entry(id: string | undefined): Entry {
    const wanted = id ?? this.defaultId;
    let entry = this.entries.get(wanted);
    if (!entry && wanted === this.defaultId) {
      entry = newEntry(this.defaultManifest());
      this.entries.set(wanted, entry);
    }
    if (!entry) {
      this.rescan();
      entry = this.entries.get(wanted);
    }
    if (!entry) {
      const known = [...this.entries.keys()].join(', ');
      throw new ClassifierError(
        'bad_request',
        `Unknown model "${wanted.slice(0, 100)}"; known models: ${known}.`,
      );
    }
    return entry;
  }

  /** Reads the manifest folders again (at most every RESCAN_MS), keeping the entries already known. */
  private rescan(): void {
    if (Date.now() - this.scannedAt < RESCAN_MS) return;
    this.scannedAt = Date.now();
    const byDefault = this.defaultManifest();
    if (!this.entries.has(byDefault.id)) this.entries.set(byDefault.id, newEntry(byDefault));
    for (const [id, manifest] of installedManifests(this.options.manifestDirs)) {
      if (!this.entries.has(id)) this.entries.set(id, newEntry(manifest));
    }
  }

  private async load(entry: Entry): Promise<Classifier> {
    const before = process.memoryUsage.rss();
    let classifier: Classifier;
    try {
      classifier = await Classifier.create({
        ...this.options.classifier,
        manifest: entry.manifest,
        decoder: this.decoder,
      });
    } catch (err) {
      entry.failedAt = Date.now();
      entry.failure = (err as Error).message;
      throw err;
    }
    entry.failedAt = 0;
    entry.failure = '';
    const size = (this.options.sizeOf ?? measuredSize)({
      id: entry.manifest.id,
      fileBytes: statSync(classifier.session.modelPath).size,
      rssGrowthBytes: process.memoryUsage.rss() - before,
    });
    entry.bytes = Math.max(entry.bytes, size);
    entry.loaded = { classifier, lastUsed: performance.now() };
    this.keepWithinBudget(entry);
    return classifier;
  }

  /** Closes least recently used models (never `keep`) while the loaded ones take more than the budget. */
  private keepWithinBudget(keep: Entry): void {
    const loaded = [...this.entries.values()]
      .filter((e) => e.loaded && e !== keep)
      .sort((a, b) => a.loaded!.lastUsed - b.loaded!.lastUsed);
    let total = keep.bytes + loaded.reduce((sum, e) => sum + e.bytes, 0);
    for (const entry of loaded) {
      if (total <= this.budget) break;
      total -= entry.bytes;
      // Closing waits for its images in flight; a failure to end its thread changes nothing here.
      this.evict(entry).catch(() => undefined);
    }
  }

  private async evict(entry: Entry): Promise<void> {
    const loaded = entry.loaded;
    if (!loaded) return;
    entry.loaded = undefined; // the next request loads it again
    await loaded.classifier.close();
  }
}
