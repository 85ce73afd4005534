/**
 * `POST /api/uploads`: records an `awaiting_upload` result under a fresh random id and hands
 * out a SAS URL for exactly the blob `uploads/<id>`. The blob trigger takes it from there.
 */
import { checkUploadJob } from '../jobs/uploadJob';
import { configuredManifest, modelRef } from '../model/manifest';
import { newUploadId } from '../results/ids';
import { zeroTimings, type ClassificationResult } from '../results/result';
import { createResult } from '../results/resultStore';
import { storageNames } from '../storage/names';
import { createUploadSas } from '../storage/uploadSas';
import type { UploadRequest } from './uploadRequest';

export interface UploadTicket {
  id: string;
  uploadUrl: string;
  method: 'PUT';
  headers: { 'x-ms-blob-type': 'BlockBlob'; 'content-type': string };
  expiresAt: string;
  statusUrl: string;
}

export interface CreateUploadOptions {
  /** Absolute base of this app's URLs, e.g. http://localhost:7071. */
  baseUrl: string;
  expiresInMinutes?: number;
}

export async function createUpload(
  request: UploadRequest,
  options: CreateUploadOptions,
): Promise<UploadTicket> {
  if (request.jobId) await checkUploadJob(request.jobId);
  const id = newUploadId();
  const container = storageNames.uploadsContainer;
  const result: ClassificationResult = {
    id,
    status: 'awaiting_upload',
    source: { name: request.fileName, bytes: request.size, contentType: request.contentType },
    model: modelRef(configuredManifest()),
    timings: zeroTimings(),
    createdAt: new Date().toISOString(),
    jobId: request.jobId,
  };
  await createResult(result, { container, name: id });
  const sas = await createUploadSas(container, id, { expiresInMinutes: options.expiresInMinutes });
  return {
    id,
    uploadUrl: sas.url,
    method: 'PUT',
    headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': request.contentType },
    expiresAt: sas.expiresOn.toISOString(),
    statusUrl: `${options.baseUrl}/api/results/${id}`,
  };
}
