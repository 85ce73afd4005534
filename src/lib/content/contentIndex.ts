/**
 * The content index: the prediction for given bytes under a given model, in table `content`
 * (PartitionKey = the bytes' sha256, RowKey = model id and the hash of everything else that
 * decides the answer: Classifier.contentKey). The worker looks
 * here after downloading and before decoding, so the same image is classified once however it
 * arrives again: another upload, a rerun of a job, a redelivered message. Only `succeeded`
 * outcomes are kept; a failure is cheap to find again and may have been a passing fault.
 */
import type { ClassificationResult, Prediction } from '../results/result';
import type { TableClient } from '@azure/data-tables';
import type { StorageClients } from '../storage/clients';
import { storageNames } from '../storage/names';
import { isStatus } from '../storage/restErrors';

/** Which answer a prediction is: the model id, and a hash of what decides it (Classifier.contentKey). */
export interface ContentModelKey {
  id: string;
  answer: string;
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

// RowKeys may not contain / \ # ?; model ids are manifest ids, but be safe.
const rowKey = (key: ContentModelKey): string => `${key.id}@${key.answer}`.replace(/[/\\#?]/g, '_');

/** The one owner of table `content`. */
export class ContentIndex {
  private readonly table: TableClient;

  constructor(storage: StorageClients) {
    this.table = storage.table(storageNames.contentTable);
  }

  async find(
    sha256: string,
    key: ContentModelKey,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<KnownContent | undefined> {
    try {
      const e = await this.table.getEntity<ContentEntity>(sha256, rowKey(key), options);
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

  /** Remembers a fresh `succeeded` result's prediction under `key`; the first writer wins (409 is fine). */
  async remember(result: ClassificationResult, key: ContentModelKey): Promise<void> {
    const { sha256, width, height, contentType } = result.source;
    if (result.status !== 'succeeded' || !sha256 || !result.predictions || result.reused) return;
    const entity: ContentEntity = {
      partitionKey: sha256,
      rowKey: rowKey(key),
      predictions: JSON.stringify(result.predictions),
      width,
      height,
      contentType,
      firstResultId: result.id,
    };
    try {
      await this.table.createEntity(entity);
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
    }
  }

  /**
   * Forgets what a result taught the index (DELETE of the result): the entries it wrote, under
   * any model. Another result of the same bytes then only costs one classification again.
   */
  async forget(result: ClassificationResult): Promise<void> {
    const sha256 = result.source.sha256;
    if (!sha256) return;
    const filter = `PartitionKey eq '${sha256.replace(/'/g, "''")}' and firstResultId eq '${result.id.replace(/'/g, "''")}'`;
    for await (const entity of this.table.listEntities<ContentEntity>({
      queryOptions: { filter, select: ['rowKey'] },
    })) {
      try {
        await this.table.deleteEntity(sha256, entity.rowKey);
      } catch (err) {
        if (!isStatus(err, 404)) throw err;
      }
    }
  }
}
