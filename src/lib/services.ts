/**
 * The app's long-lived parts, built once per process by whoever runs the domain (the function
 * registrations in src/functions/services.ts, a test, a tool) and handed to every operation:
 * the storage clients, the one owner of each table, the model, and the per-process caches that
 * make the hot paths cheap. Nothing under src/lib keeps state of its own at module level, so
 * two Services over two accounts never see each other, and every module can be tested with
 * one built over a test's Azurite.
 *
 * This is the composition root: the parts are built here and nowhere else, each given only the
 * parts it uses (`JobCounter` the storage, jobs and job status; `ModelGate` the storage and the
 * models), typed by those parts' own modules. A module that this file imports therefore never
 * names `Services`, not even as a type: `npm run lint` fails on any import cycle (madge). An
 * operation that uses a few parts says which (`Pick<Services, 'jobs' | 'storage'>`), so a caller
 * passes its whole Services or just those.
 */
import { Models, type ModelsOptions } from './classify/models';
import { Semaphore } from './concurrency';
import { ContentIndex } from './content/contentIndex';
import { intFromEnv } from './env';
import { JobStatusCache } from './jobs/jobStatusCache';
import { JobStore } from './jobs/jobStore';
import { JobCounter } from './jobs/recordOutcome';
import { ResultStore } from './results/resultStore';
import { EventGridSink } from './events/eventGridSink';
import { eventsConfigFromEnv, type EventsConfig } from './events/eventsConfig';
import { EventOutbox } from './events/outbox';
import { retentionFromEnv } from './retention/retentionConfig';
import { SearchIndex } from './search/searchIndex';
import { createStorageClients, identityCredential, type StorageClients } from './storage/clients';
import { UploadSigner } from './storage/uploadSas';
import { ModelGate } from './worker/modelGate';
import { ResultTelemetry, type ResultTelemetryOptions } from './telemetry/resultTelemetry';

export interface Services {
  readonly storage: StorageClients;
  /** Table `results` and the per-image JSON blobs. */
  readonly results: ResultStore;
  /** Table `jobs`. */
  readonly jobs: JobStore;
  /** Table `content`. */
  readonly content: ContentIndex;
  /** The installed models, each loaded by its first request. */
  readonly models: Models;
  /** Holds queue work while the model it asks for cannot load. */
  readonly modelGate: ModelGate;
  /** Counts terminal results into their jobs, coalescing this process's outcomes per job. */
  readonly jobCounter: JobCounter;
  /** Whether a job has stopped, cached for a moment. */
  readonly jobStatus: JobStatusCache;
  readonly uploadSigner: UploadSigner;
  /** Synchronous classifications running at once (POST /api/classify). */
  readonly syncSlots: Semaphore;
  /** Spans and metrics of finished images (OpenTelemetry; a no-op unless an SDK is registered). */
  readonly telemetry: ResultTelemetry;
  /** Job and result events: the outbox queue, the sinks' settings, the Event Grid client. */
  readonly events: EventOutbox;
  /** Table `search`: every terminal result by word of its label and by day. */
  readonly search: SearchIndex;
}

export interface ServicesOptions {
  /** Default: built from the environment (AzureWebJobsStorage, or the identity-based settings). */
  storage?: StorageClients;
  /** The models and how they run (default: CLASSIFIER_MODEL, CLASSIFIER_MODELS_DIR and the CLASSIFIER_* settings). */
  models?: ModelsOptions;
  /** Default: CLASSIFIER_SYNC_CONCURRENCY or 2. */
  syncConcurrency?: number;
  /** Default: the global OpenTelemetry providers. */
  telemetry?: ResultTelemetryOptions;
  /** Default: the CLASSIFIER_EVENTS_* settings. */
  events?: EventsConfig;
}

export function createServices(options: ServicesOptions = {}): Services {
  const storage = options.storage ?? createStorageClients();
  const jobs = new JobStore(storage);
  const jobStatus = new JobStatusCache(jobs);
  const models = new Models(options.models);
  const events = options.events ?? eventsConfigFromEnv();
  return {
    storage,
    results: new ResultStore(storage),
    jobs,
    content: new ContentIndex(storage),
    models,
    modelGate: new ModelGate({ storage, models }),
    jobCounter: new JobCounter({ storage, jobs, jobStatus }),
    jobStatus,
    uploadSigner: new UploadSigner(storage),
    syncSlots: new Semaphore(options.syncConcurrency ?? intFromEnv('CLASSIFIER_SYNC_CONCURRENCY', 2)),
    telemetry: new ResultTelemetry(options.telemetry),
    search: new SearchIndex(storage, {
      horizonDays: retentionFromEnv().resultsDays,
      labelSets: () => models.list().map((m) => ({ model: m.id, labels: models.manifest(m.id).labelNames })),
    }),
    events: new EventOutbox(
      storage,
      events,
      events.eventGridEndpoint
        ? new EventGridSink(events.eventGridEndpoint, identityCredential())
        : undefined,
    ),
  };
}
