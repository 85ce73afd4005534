/**
 * The few fields of a listed `results` row that retention and the failure report need, read
 * without the full result (listing pages are trusted table data, checked only for type).
 */
import type { ResultRecord } from '../results/resultStore';
import type { ClassificationResult } from '../results/result';

const str = (row: Record<string, unknown>, key: string): string | undefined =>
  typeof row[key] === 'string' ? row[key] : undefined;

export function fromTableRow(row: Record<string, unknown>): ResultRecord {
  const container = str(row, 'blobContainer');
  const name = str(row, 'blobName');
  const error = str(row, 'error');
  return {
    result: {
      id: str(row, 'id') ?? str(row, 'partitionKey') ?? '',
      status: str(row, 'status') as ClassificationResult['status'],
      createdAt: str(row, 'createdAt') ?? '',
      completedAt: str(row, 'completedAt'),
      jobId: str(row, 'jobId'),
      error: error ? (JSON.parse(error) as ClassificationResult['error']) : undefined,
    } as ClassificationResult,
    blob: container && name ? { container, name } : undefined,
    etag: str(row, 'etag') ?? '',
  };
}
