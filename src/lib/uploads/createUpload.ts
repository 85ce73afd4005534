/**
 * `POST /api/uploads`: records an `awaiting_upload` result under a fresh random id and hands
 * out a SAS URL for exactly the blob `uploads/<id>`. The blob trigger takes it from there.
 */
import { checkUploadJob } from '../jobs/uploadJob';
import { modelRef } from '../model/manifest';
import { newUploadId } from '../results/ids';
import { newResult } from '../results/result';
import type { Services } from '../services';
import { storageNames } from '../storage/names';
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
  services: Services,
  request: UploadRequest,
  options: CreateUploadOptions,
): Promise<UploadTicket> {
  const job = request.jobId ? await checkUploadJob(services, request.jobId) : undefined;
  // An unknown model is a 400 naming the known ones, before anything is written.
  const manifest = services.models.manifest(request.model ?? job?.model);
  const id = newUploadId();
  const container = storageNames.uploadsContainer;
  const result = newResult({
    id,
    status: 'awaiting_upload',
    source: { name: request.fileName, bytes: request.size, contentType: request.contentType },
    model: modelRef(manifest),
    jobId: request.jobId,
  });
  await services.results.create(result, { container, name: id });
  const sas = await services.uploadSigner.sign(container, id, { expiresInMinutes: options.expiresInMinutes });
  return {
    id,
    uploadUrl: sas.url,
    method: 'PUT',
    headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': request.contentType },
    expiresAt: sas.expiresOn.toISOString(),
    statusUrl: `${options.baseUrl}/api/results/${id}`,
  };
}
