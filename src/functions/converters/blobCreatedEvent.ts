/**
 * Event Grid's Microsoft.Storage.BlobCreated event (Event Grid schema, as the Event Grid
 * trigger hands it to the function) into the plain BlobCreated the intake works on. The facts
 * come from the event itself: `data.contentLength`, `data.eTag`, `data.sequencer`,
 * `data.contentType`, and the container and path from `subject`
 * (`/blobServices/default/containers/<container>/blobs/<path>`). A real capture is kept in
 * test/fixtures/triggers/ and every converter is run on it.
 */
import type { BlobCreated } from '../../lib/intake/acceptBlob';

const SUBJECT = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/;

/**
 * A Storage event of `eventType` about a blob of `container`: the event, its data and the blob's
 * path from `subject`; undefined for any other event. The BlobCreated and BlobDeleted converters share it.
 */
export function blobEventIn(
  event: unknown,
  eventType: string,
  container: string,
): { e: Record<string, unknown>; data: Record<string, unknown>; name: string } | undefined {
  if (!event || typeof event !== 'object') return undefined;
  const e = event as Record<string, unknown>;
  if (e.eventType !== eventType || typeof e.subject !== 'string') return undefined;
  const match = SUBJECT.exec(e.subject);
  if (!match || match[1] !== container) return undefined;
  return { e, data: (e.data ?? {}) as Record<string, unknown>, name: match[2] };
}

/** Undefined for any other event (another type, a container this function does not watch, a malformed event). */
export function toBlobCreated(event: unknown, container: string): BlobCreated | undefined {
  const found = blobEventIn(event, 'Microsoft.Storage.BlobCreated', container);
  if (!found) return undefined;
  const { e, data, name } = found;
  if (typeof data.eTag !== 'string' || typeof data.contentLength !== 'number') return undefined;
  // Older published samples and captures send 0x8D…, newer ones "0x8D…" with its quotes, as the
  // HTTP header carries it: one form inside, the listing's (unquoted), so versions compare.
  const etag = data.eTag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  return {
    container,
    name,
    etag,
    size: data.contentLength,
    contentType: typeof data.contentType === 'string' ? data.contentType : undefined,
    sequencer: typeof data.sequencer === 'string' ? data.sequencer : undefined,
    eventId: typeof e.id === 'string' ? e.id : `${container}/${name}@${etag}`,
    eventTime: typeof e.eventTime === 'string' ? e.eventTime : new Date().toISOString(),
  };
}
