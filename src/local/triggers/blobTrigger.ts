/**
 * `app.storageBlob` functions with `source: 'EventGrid'` (the only source Flex Consumption
 * supports). Azurite has no Event Grid, so a scanner lists the watched container instead, and
 * every blob version it has no receipt for is handed over the way the WebJobs blob extension
 * does it (`BlobTriggerQueueWriter` / `SharedBlobQueueListener`): a message
 * {Type, FunctionId, BlobType, ContainerName, BlobName, ETag} on the host's internal queue
 * `azure-webjobs-blobtrigger-{hostId}`, then a receipt. The queue gives at-least-once delivery
 * with the queue retry rules (maxDequeueCount, then `webjobs-blobtrigger-poison`), so a restart
 * neither loses nor re-floods blobs. Listing interval: 250 ms, idle or not (Event Grid usually delivers within a second; a local listing is cheap).
 * Input: the content as bytes (string for dataType 'string'); metadata BlobTrigger
 * ("container/name"), Uri, Properties, Metadata, the path's {params} and sys.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { invokeFunction } from '../invoke';
import { sleep } from '../inflight';
import { typedJson, typedPayload, typedString } from '../typedData';
import { parseBlobPath, type BlobPathPattern } from './blobPath';
import { loadBlobReceipts, type BlobReceipts } from './blobReceipts';
import { requireStorage, sysMetadata, type BoundFunction, type TriggerContext } from './context';
import { runQueueListener } from './queueListener';

interface BlobTriggerMessage {
  Type: 'BlobTrigger';
  FunctionId: string;
  BlobType: 'BlockBlob';
  ContainerName: string;
  BlobName: string;
  ETag: string;
}

const functionIdOf = (name: string): string => `Host.Functions.${name}`;

async function scanOnce(
  container: ContainerClient,
  pattern: BlobPathPattern,
  receipts: BlobReceipts,
  enqueue: (name: string, etag: string) => Promise<void>,
) {
  let found = 0;
  if (!(await container.exists())) return 0;
  for await (const blob of container.listBlobsFlat({ prefix: pattern.prefix })) {
    const etag = blob.properties.etag ?? '';
    if (!pattern.match(blob.name) || receipts.has(pattern.container, blob.name, etag)) continue;
    await enqueue(blob.name, etag);
    await receipts.write(pattern.container, blob.name, etag);
    found++;
  }
  return found;
}

async function runScanner(
  ctx: TriggerContext,
  bound: BoundFunction,
  send: (m: BlobTriggerMessage) => Promise<void>,
) {
  const { blobs } = requireStorage(ctx, `Blob trigger "${bound.fn.metadata.name}"`);
  const pattern = parseBlobPath(String(bound.fn.metadata.bindings[bound.triggerName].path));
  const functionId = functionIdOf(bound.fn.metadata.name);
  const receipts = await loadBlobReceipts(blobs, ctx.hostId, functionId);
  const container = blobs.getContainerClient(pattern.container);
  const enqueue = (BlobName: string, ETag: string) =>
    send({
      Type: 'BlobTrigger',
      FunctionId: functionId,
      BlobType: 'BlockBlob',
      ContainerName: pattern.container,
      BlobName,
      ETag,
    });
  while (!ctx.signal.aborted) {
    try {
      await scanOnce(container, pattern, receipts, enqueue);
    } catch (err) {
      ctx.logger.error(
        `Scanning container "${pattern.container}" for "${bound.fn.metadata.name}" failed; retrying.`,
        err,
      );
    }
    await sleep(SCAN_INTERVAL_MS, ctx.signal);
  }
}

const SCAN_INTERVAL_MS = 250;

async function deliver(ctx: TriggerContext, bound: BoundFunction, m: BlobTriggerMessage): Promise<boolean> {
  const binding = bound.fn.metadata.bindings[bound.triggerName];
  const pattern = parseBlobPath(String(binding.path));
  const blob = requireStorage(ctx, 'Blob trigger')
    .blobs.getContainerClient(m.ContainerName)
    .getBlobClient(m.BlobName);
  let props;
  try {
    props = await blob.getProperties();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    ctx.logger.warn(
      `Blob "${m.ContainerName}/${m.BlobName}" no longer exists; "${bound.fn.metadata.name}" is not run.`,
    );
    return true;
  }
  // A newer version has its own receipt and message; this one is done (the extension does the same).
  // Listings give ETags without quotes, blob properties with them.
  if (props.etag?.replace(/"/g, '') !== m.ETag.replace(/"/g, '')) return true;
  const content = await blob.downloadToBuffer(0, undefined, { conditions: { ifMatch: props.etag } });
  const params = Object.fromEntries(
    Object.entries(pattern.match(m.BlobName) ?? {}).map(([k, v]) => [k, typedString(v)]),
  );
  const properties = {
    ContentType: props.contentType,
    ContentLength: props.contentLength,
    ETag: props.etag,
    LastModified: props.lastModified,
    CreatedOn: props.createdOn,
    BlobType: props.blobType,
  };
  const outcome = await invokeFunction(
    ctx.registry,
    bound.fn,
    {
      inputData: [{ name: bound.triggerName, data: typedPayload(content, binding.dataType ?? 'binary') }],
      triggerMetadata: {
        ...params,
        BlobTrigger: typedString(`${m.ContainerName}/${m.BlobName}`),
        Uri: typedString(blob.url),
        Properties: typedJson(properties),
        Metadata: typedJson(props.metadata ?? {}),
        sys: typedJson(sysMetadata(bound.fn.metadata.name)),
      },
    },
    ctx.logger,
  );
  return outcome.ok;
}

/** Starts the scanners of all blob functions and the one internal queue that runs them. */
export function startBlobTriggers(ctx: TriggerContext, functions: BoundFunction[]): Promise<void>[] {
  if (functions.length === 0) return [];
  const { queues } = requireStorage(ctx, 'Blob triggers');
  const queue = queues.getQueueClient(`azure-webjobs-blobtrigger-${ctx.hostId}`);
  const byId = new Map(functions.map((b) => [functionIdOf(b.fn.metadata.name), b]));
  const encode = (text: string) =>
    ctx.config.queues.messageEncoding === 'base64' ? Buffer.from(text).toString('base64') : text;
  let created: Promise<unknown> | undefined;
  const send = async (m: BlobTriggerMessage) => {
    await (created ??= queue.createIfNotExists());
    await queue.sendMessage(encode(JSON.stringify(m)));
  };
  const listener = runQueueListener({
    queue,
    poisonQueue: queues.getQueueClient('webjobs-blobtrigger-poison'),
    config: ctx.config.queues,
    logger: ctx.logger,
    inflight: ctx.inflight,
    signal: ctx.signal,
    leaseMs: ctx.leaseMs,
    process: async (_m, body) => {
      try {
        const message = JSON.parse(body.toString('utf8')) as BlobTriggerMessage;
        const bound = byId.get(message.FunctionId);
        if (!bound) throw new Error(`No blob-triggered function has the id "${message.FunctionId}".`);
        return await deliver(ctx, bound, message);
      } catch (err) {
        ctx.logger.error(`Delivering a blob-trigger message failed.`, err);
        return false;
      }
    },
  });
  return [listener, ...functions.map((b) => runScanner(ctx, b, send))];
}
