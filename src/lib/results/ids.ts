/**
 * Result ids. Uploads get a random UUID (unguessable, so one upload's id says nothing about
 * another's). A blob dropped into a watched container gets an id derived from its path, so a
 * duplicate event for the same blob finds the same row instead of creating a second result.
 */
import { createHash, randomUUID } from 'node:crypto';
import { storageNames } from '../storage/names';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const BLOB_ID = /^b-[0-9a-f]{40}$/;

export const newUploadId = (): string => randomUUID();
export const isUploadId = (value: string): boolean => UUID.test(value);

/** A result id derived from a key (`b-` + 40 hex of its sha256): the same key, the same row. */
export const derivedResultId = (key: string): string =>
  `b-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
export const isDerivedResultId = (value: string): boolean => BLOB_ID.test(value);

export const blobResultId = (container: string, name: string): string =>
  derivedResultId(`${container}/${name}`);

/** The result id of a blob in a watched container; undefined for an upload blob name this app never issued. */
export function resultIdForBlob(container: string, name: string): string | undefined {
  if (container === storageNames.uploadsContainer) return isUploadId(name) ? name : undefined;
  return blobResultId(container, name);
}

export const isResultId = (value: string): boolean => UUID.test(value) || BLOB_ID.test(value);
