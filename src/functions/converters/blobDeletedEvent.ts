/**
 * Event Grid's Microsoft.Storage.BlobDeleted event (Event Grid schema, as the Event Grid trigger
 * hands it to the function) into the plain BlobDeleted that forgetBlob works on: the container
 * and path from `subject` (`/blobServices/default/containers/<container>/blobs/<path>`) and
 * `data.sequencer`, which orders the deletion among the writes of that name. A deletion carries
 * no eTag and no contentLength (the published sample is kept in test/fixtures/triggers/ and
 * this converter is run on it).
 */
import type { BlobDeleted } from '../../lib/intake/forgetBlob';
import { blobEventIn } from './blobCreatedEvent';

/** Undefined for any other event (another type, a container this function does not watch, no sequencer). */
export function toBlobDeleted(event: unknown, container: string): BlobDeleted | undefined {
  const found = blobEventIn(event, 'Microsoft.Storage.BlobDeleted', container);
  if (!found) return undefined;
  const { e, data, name } = found;
  // Without it a deletion cannot be told from an older one than the stored version: act on none.
  if (typeof data.sequencer !== 'string' || data.sequencer === '') return undefined;
  return {
    container,
    name,
    sequencer: data.sequencer,
    eventId: typeof e.id === 'string' ? e.id : `${container}/${name}#${data.sequencer}`,
    eventTime: typeof e.eventTime === 'string' ? e.eventTime : new Date().toISOString(),
  };
}
