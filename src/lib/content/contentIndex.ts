/**
 * The content index: the prediction for given bytes under a given model, in table `content`
 * (PartitionKey = the bytes' sha256, RowKey = model id and model file sha256). The worker looks
 * here after downloading and before decoding, so the same image is classified once however it
 * arrives again: another upload, a rerun of a job, a redelivered message. Only `succeeded`
 * outcomes are kept; a failure is cheap to find again and may have been a passing fault.
 */
import type { ClassificationResult, Prediction } from '../results/result';
import { storageClients } from '../storage/clients';
import { storageNames } from '../storage/names';
import { isStatus } from '../storage/restErrors';

export interface ModelKey {
  id: string;
  sha256: string;
}

export interface KnownContent {
  sha256: string;
  predictions: Prediction[];
  width?: number;
  height?: number;
  contentType?: string;
  /** The result that classified these bytes first. */
  firstResultId: string;
}

interface ContentEntity {
  partitionKey: string;
  rowKey: string;
  predictions: string;
  width?: number;
  height?: number;
  contentType?: string;
  firstResultId: string;
}

const table = () => storageClients().table(storageNames.contentTable);
// RowKeys may not contain / \ # ?; model ids are manifest ids, but be safe.
const rowKey = (model: ModelKey): string => `${model.id}@${model.sha256}`.replace(/[/\\#?]/g, '_');

export async function findKnownContent(
  sha256: string,
  model: ModelKey,
  options: { abortSignal?: AbortSignal } = {},
): Promise<KnownContent | undefined> {
  try {
    const e = await table().getEntity<ContentEntity>(sha256, rowKey(model), options);
    return {
      sha256,
      predictions: JSON.parse(e.predictions) as Prediction[],
      width: e.width,
      height: e.height,
      contentType: e.contentType,
      firstResultId: e.firstResultId,
    };
  } catch (err) {
    if (isStatus(err, 404)) return undefined;
    throw err;
  }
}

/** Remembers a fresh `succeeded` result's prediction; the first writer wins (409 is fine). */
export async function rememberContent(result: ClassificationResult): Promise<void> {
  const { sha256, width, height, contentType } = result.source;
  if (result.status !== 'succeeded' || !sha256 || !result.predictions || result.reused) return;
  const entity: ContentEntity = {
    partitionKey: sha256,
    rowKey: rowKey(result.model),
    predictions: JSON.stringify(result.predictions),
    width,
    height,
    contentType,
    firstResultId: result.id,
  };
  try {
    await table().createEntity(entity);
  } catch (err) {
    if (!isStatus(err, 409)) throw err;
  }
}
