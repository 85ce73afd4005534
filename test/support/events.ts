/**
 * Trigger payloads for tests, built from the captured real ones in test/fixtures/triggers/:
 * the structure is the capture's, only the facts that name a blob are replaced.
 */
import { randomUUID } from 'node:crypto';
import type { EventGridEvent } from '@azure/functions';
import type { BlobCreated } from '../../src/lib/intake/acceptBlob';
import eventGridFixture from '../fixtures/triggers/eventgrid-blob-created.json';
import blobDeletedFixture from '../fixtures/triggers/eventgrid-blob-deleted.json';

/** The facts a BlobCreated event states (the domain's own type), and the event id to use. */
export type EventFacts = Pick<
  BlobCreated,
  'container' | 'name' | 'etag' | 'size' | 'contentType' | 'sequencer'
> & {
  id?: string;
};

/** The published BlobCreated sample with this blob's facts. */
export function blobCreatedEvent(facts: EventFacts): EventGridEvent {
  const sample = structuredClone(eventGridFixture.event);
  return {
    ...sample,
    subject: `/blobServices/default/containers/${facts.container}/blobs/${facts.name}`,
    id: facts.id ?? randomUUID(),
    eventTime: new Date().toISOString(),
    data: {
      ...sample.data,
      eTag: facts.etag.replace(/"/g, ''),
      contentLength: facts.size,
      contentType: facts.contentType ?? sample.data.contentType,
      url: `https://example.blob.core.windows.net/${facts.container}/${encodeURI(facts.name)}`,
      sequencer: facts.sequencer ?? sample.data.sequencer,
    },
  };
}

/** The published BlobDeleted sample for a blob name, with its deletion's sequencer. */
export function blobDeletedEvent(facts: {
  container: string;
  name: string;
  sequencer: string;
  id?: string;
}): EventGridEvent {
  const sample = structuredClone(blobDeletedFixture.event);
  return {
    ...sample,
    subject: `/blobServices/default/containers/${facts.container}/blobs/${facts.name}`,
    id: facts.id ?? randomUUID(),
    eventTime: new Date().toISOString(),
    data: {
      ...sample.data,
      url: `https://example.blob.core.windows.net/${facts.container}/${encodeURI(facts.name)}`,
      sequencer: facts.sequencer,
    },
  };
}

/** The nested key structure of a JSON value, for comparing shapes without their values. */
export function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .map(([k, v]) => [k, shapeOf(v)])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  return typeof value;
}
