/**
 * Event Grid's Microsoft.Storage.BlobDeleted event (Event Grid schema, as the Event Grid trigger
 * hands it to the function) into the plain BlobDeleted that forgetBlob works on: the container
 * and path from `subject` (`/blobServices/default/containers/<container>/blobs/<path>`) and
 * `data.sequencer`, which orders the deletion among the writes of that name. A deletion carries
 * no eTag and no contentLength (the published sample is kept in test/fixtures/triggers/ and
 * this converter is run on it).
 */
import type { BlobDeleted } from '../../lib/intake/forgetBlob';

const SUBJECT = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/;

/** Undefined for any other event (another type, a container this function does not watch, no sequencer). */
export function toBlobDeleted(event: unknown, container: string): BlobDeleted | undefined {
  if (!event || typeof event !== 'object') return undefined;
  const e = event as Record<string, unknown>;
  const data = (e.data ?? {}) as Record<string, unknown>;
  if (e.eventType !== 'Microsoft.Storage.BlobDeleted' || typeof e.subject !== 'string') return undefined;
  const match = SUBJECT.exec(e.subject);
  if (!match || match[1] !== container) return undefined;
  // Without it a deletion cannot be told from an older one than the stored version: act on none.
  if (typeof data.sequencer !== 'string' || data.sequencer === '') return undefined;
  return {
    container,
    name: match[2],
    sequencer: data.sequencer,
    eventId: typeof e.id === 'string' ? e.id : `${container}/${match[2]}#${data.sequencer}`,
    eventTime: typeof e.eventTime === 'string' ? e.eventTime : new Date().toISOString(),
  };
}
