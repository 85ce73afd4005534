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

/** Undefined for any other event (another type, a container this function does not watch, a malformed event). */
export function toBlobCreated(event: unknown, container: string): BlobCreated | undefined {
  if (!event || typeof event !== 'object') return undefined;
  const e = event as Record<string, unknown>;
  const data = (e.data ?? {}) as Record<string, unknown>;
  if (e.eventType !== 'Microsoft.Storage.BlobCreated' || typeof e.subject !== 'string') return undefined;
  const match = SUBJECT.exec(e.subject);
  if (!match || match[1] !== container) return undefined;
  if (typeof data.eTag !== 'string' || typeof data.contentLength !== 'number') return undefined;
  // Older published samples and captures send 0x8D…, newer ones "0x8D…" with its quotes, as the
  // HTTP header carries it: one form inside, the listing's (unquoted), so versions compare.
  const etag = data.eTag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  return {
    container,
    name: match[2],
    etag,
    size: data.contentLength,
    contentType: typeof data.contentType === 'string' ? data.contentType : undefined,
    sequencer: typeof data.sequencer === 'string' ? data.sequencer : undefined,
    eventId: typeof e.id === 'string' ? e.id : `${container}/${match[2]}@${etag}`,
    eventTime: typeof e.eventTime === 'string' ? e.eventTime : new Date().toISOString(),
  };
}
