/**
 * Public storage names (docs/architecture.md and docs/api.md). infra/ declares the same names; a test reads both.
 */
export const storageNames = {
  /** The drop folder: any blob written here is classified once. */
  imagesContainer: 'images',
  /** Where the upload page's SAS PUTs land, one server-named blob per upload id. */
  uploadsContainer: 'uploads',
  /** Per-image result JSON blobs and job exports. */
  resultsContainer: 'results',
  /** Blob events Event Grid could not deliver after its retries (Azure only: see docs/deploy.md). */
  eventGridDeadLetterContainer: 'eventgrid-deadletter',
  /** Work items: one small message per image. */
  classifyQueue: 'classify',
  /** Where the host moves a message after maxDequeueCount failed attempts. */
  classifyPoisonQueue: 'classify-poison',
  /** One row per classified image. */
  resultsTable: 'results',
  /** Bulk jobs: one partition per job, its state row plus one row per finished image. */
  jobsTable: 'jobs',
  /** Job steps: one message per page of a job's listing, and "write the exports" when it ends. */
  jobsQueue: 'jobs',
  /** Where the host moves a job step after maxDequeueCount failed attempts. */
  jobsPoisonQueue: 'jobs-poison',
  /** The events outbox: facts (a job ended, a result finished) waiting to be delivered to the sinks. */
  eventsQueue: 'events',
  /** Events a sink refused for good or did not take in 24 hours, with the reason; replayed by POST /api/admin/replay-poison?queue=events. */
  eventsPoisonQueue: 'events-poison',
  /** The search index of terminal results: by word of the top label and by day (src/lib/search/searchIndex.ts). */
  searchTable: 'search',
  /** Content index: predictions by image sha256 and model, so the same bytes are classified once. */
  contentTable: 'content',
} as const;

/** Containers whose new blobs are classified (Event Grid in Azure, the local host's stand-in here). */
export const watchedContainers = [storageNames.uploadsContainer, storageNames.imagesContainer] as const;

/**
 * The Event Grid subscriptions: which blob events of which container go to which function.
 * Each watched container's BlobCreated events; the drop folder's BlobDeleted events too, so a
 * blob deleted from it takes its result along. Uploads are never subscribed to deletions:
 * retention deletes upload blobs, and their results have a life of their own.
 * scripts/postdeploy.* create them in Azure, `npm start` hands them to the local stand-in, and
 * test/infra/consistency.test.ts checks that the three agree.
 */
export const blobEventSubscriptions = [
  {
    functionName: 'uploadsBlobCreated',
    container: storageNames.uploadsContainer,
    eventTypes: ['Microsoft.Storage.BlobCreated'],
  },
  {
    functionName: 'imagesBlobCreated',
    container: storageNames.imagesContainer,
    eventTypes: ['Microsoft.Storage.BlobCreated'],
  },
  {
    functionName: 'imagesBlobDeleted',
    container: storageNames.imagesContainer,
    eventTypes: ['Microsoft.Storage.BlobDeleted'],
  },
] as const;
