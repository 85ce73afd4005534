/**
 * The app's model: its manifest, read once, and its Classifier, loaded on first use and then
 * shared by every caller in the process (worker, intake, the synchronous route, health), so
 * they share one session and one batcher. A load that failed is tried again by a later call
 * (the model file restored, the download back).
 */
import type { LoadedManifest } from '../model/manifest';
import { loadManifest } from '../model/manifest';
import { Classifier, type ClassifierOptions } from './classifier';

/**
 * After a failed load, `ready()` answers false for this long without trying again: a load
 * hashes the whole model file (or tries a download), which a burst of messages must not repeat.
 */
const RECHECK_MS = 2000;

export class Models {
  private loading?: Promise<Classifier>;
  private loadedManifest?: LoadedManifest;
  private failedAt = 0;
  private failure = '';

  constructor(private readonly options: ClassifierOptions = {}) {}

  /** The configured manifest (CLASSIFIER_MODEL or the default), for the `model` of results not classified yet. */
  manifest(): LoadedManifest {
    this.loadedManifest ??= loadManifest(this.options.model);
    return this.loadedManifest;
  }

  /** The classifier, loading it on the first call (and again after a failed load). */
  classifier(): Promise<Classifier> {
    this.loading ??= Classifier.create(this.options).catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  /** Whether the classifier loads now; after a failure, false for RECHECK_MS without trying. */
  async ready(): Promise<boolean> {
    if (Date.now() - this.failedAt <= RECHECK_MS) return false;
    try {
      await this.classifier();
      this.failedAt = 0;
      return true;
    } catch (err) {
      this.failedAt = Date.now();
      this.failure = (err as Error).message;
      return false;
    }
  }

  /** Why the last load failed ('' when it has not). */
  get lastFailure(): string {
    return this.failure;
  }
}
