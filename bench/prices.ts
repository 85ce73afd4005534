/**
 * Published prices behind the bench's cost table, each with where it was read and the date
 * the page carries. The Azure pricing pages render their tables in the browser, so their
 * stored copies show no figures; the Azure figures are those Microsoft's own cost-estimation
 * docs use. Change them here when you price a real region: the table recomputes.
 */
export const PRICES = {
  flexGbSecond: {
    usd: 0.000026,
    source:
      'Flex Consumption on-demand execution time, $0.000026 per GB-s: learn.microsoft.com/azure/azure-functions/functions-consumption-costs ("assumed on-demand rates", 2025-02-10)',
  },
  flexPerMillionExecutions: {
    usd: 0.4,
    source: 'Flex Consumption on-demand executions, $0.40 per million: same page',
  },
  /** infra/ deploys 2,048 MB instances; Flex bills the instance memory for the time it runs executions. */
  instanceGb: { value: 2, source: 'infra/main.bicep: instanceMemoryMB 2048 (about one vCPU)' },
  blobWritePer10k: {
    usd: 0.055,
    source:
      'Hot blob write operations, $0.055 per 10,000 (Put Blob, Put Block, Put Block List): learn.microsoft.com/azure/storage/blobs/blob-storage-estimate-costs, "sample prices" (2024-07-26; the page calls them examples)',
  },
  blobReadPer10k: { usd: 0.0044, source: 'Hot blob read operations, $0.0044 per 10,000: same page' },
  blobListPer10k: {
    usd: 0.055,
    source: 'List and create container operations, $0.055 per 10,000: same page',
  },
  blobOtherPer10k: { usd: 0.0044, source: 'All other operations, $0.0044 per 10,000: same page' },
  queueTablePer10k: {
    usd: 0.0044,
    source:
      'Queue and Table transactions: no priced copy was readable here; taken at the blob "all other operations" rate, $0.0044 per 10,000 (an assumption; check the Queue and Table pricing pages)',
  },
  eventGridPerMillion: {
    usd: 0.6,
    source:
      'Event Grid basic operations: €0.556 per million in a North Europe price list (April 2025), about $0.60; a BlobCreated delivered to one subscriber is a publish and a delivery, 2 operations; first 100,000 a month free (ignored here)',
  },
  vision: [
    {
      name: 'Amazon Rekognition DetectLabels',
      per1000: 1.0,
      source:
        'aws.amazon.com/rekognition/pricing, $0.001 per image for the first million a month (read 2026-10-07)',
    },
    {
      name: 'Google Cloud Vision label detection',
      per1000: 1.5,
      source:
        'cloud.google.com/vision/pricing, $1.50 per 1,000 units for units 1,001 to 5,000,000 a month (undated copy)',
    },
    {
      name: 'Azure AI Vision Image Analysis (S1)',
      per1000: 1.0,
      source:
        'S1, $1.00 per 1,000 transactions for the first million: a secondary source only (the official page was not readable here)',
    },
  ],
} as const;
