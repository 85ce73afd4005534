/**
 * Every trigger shape the app reads, run from the captured real payloads in
 * test/fixtures/triggers/, and the local host's stand-ins checked against the same captures:
 * a shape the local host invents would hide the bugs Azure then finds.
 */
import { InvocationContext } from '@azure/functions';
import { toBlobCreated } from '../../../src/functions/converters/blobCreatedEvent';
import { toBlobDeleted } from '../../../src/functions/converters/blobDeletedEvent';
import { readHostSettings } from '../../../src/functions/converters/hostSettings';
import { timeSpanMs } from '../../../src/lib/env';
import { toDeliveryInfo } from '../../../src/functions/converters/queueDelivery';
import {
  blobCreatedEvent,
  blobDeletedEvent,
} from '../../../src/local/functionsHost/triggers/eventGridTrigger';
import { newtonsoftDate, queueTriggerMetadata } from '../../../src/local/functionsHost/triggers/queueTrigger';
import { toHostConfig } from '../../../src/local/functionsHost/hostConfig';
import eventGrid from '../../fixtures/triggers/eventgrid-blob-created.json';
import eventGridDeleted from '../../fixtures/triggers/eventgrid-blob-deleted.json';
import { shapeOf } from '../../support/events';
import queue from '../../fixtures/triggers/queue-trigger.json';
import hostJson from '../../../host.json';

describe('Event Grid BlobCreated events', () => {
  it('reads size, ETag, sequencer, content type and path from the published sample', () => {
    expect(toBlobCreated(eventGrid.event, 'oc2d2817345i200097container')).toEqual({
      container: 'oc2d2817345i200097container',
      name: 'oc2d2817345i20002296blob',
      etag: '0x8D4BCC2E4835CD0',
      size: 524288,
      contentType: 'application/octet-stream',
      sequencer: '00000000000004420000000000028963',
      eventId: '831e1650-001e-001b-66ab-eeb76e069631',
      eventTime: '2017-06-26T18:41:00.9584103Z',
    });
  });

  it('reads the ETag the same whether the event quotes it (newer samples) or not (older ones and captures)', () => {
    const quoted = { ...eventGrid.event, data: { ...eventGrid.event.data, eTag: '"0x8D4BCC2E4835CD0"' } };
    expect(toBlobCreated(quoted, 'oc2d2817345i200097container')?.etag).toBe('0x8D4BCC2E4835CD0');
  });

  it('ignores another event type, another container and an event without its facts', () => {
    expect(
      toBlobCreated(
        { ...eventGrid.event, eventType: 'Microsoft.Storage.BlobDeleted' },
        'oc2d2817345i200097container',
      ),
    ).toBeUndefined();
    expect(toBlobCreated(eventGrid.event, 'images')).toBeUndefined();
    const { contentLength: _c, ...noLength } = eventGrid.event.data;
    expect(
      toBlobCreated({ ...eventGrid.event, data: noLength }, 'oc2d2817345i200097container'),
    ).toBeUndefined();
  });

  it('is what the local stand-in sends, key for key', () => {
    const local = blobCreatedEvent(
      'devstoreaccount1',
      'http://127.0.0.1:10000/devstoreaccount1/images/a/b.jpg',
      'images',
      {
        name: 'a/b.jpg',
        etag: '0x8DE0000000000000',
        contentLength: 10,
        contentType: 'image/jpeg',
        lastModified: Date.now(),
      },
      '0'.repeat(32),
    );
    expect(shapeOf(local)).toEqual(shapeOf(eventGrid.event));
    expect(toBlobCreated(local, 'images')).toMatchObject({
      name: 'a/b.jpg',
      size: 10,
      etag: '0x8DE0000000000000',
    });
  });
});

describe('Event Grid BlobDeleted events', () => {
  it('reads the path and the sequencer from the published sample (it has no eTag and no contentLength)', () => {
    expect(eventGridDeleted.event.data).not.toHaveProperty('eTag');
    expect(eventGridDeleted.event.data).not.toHaveProperty('contentLength');
    expect(toBlobDeleted(eventGridDeleted.event, 'testcontainer')).toEqual({
      container: 'testcontainer',
      name: 'file-to-delete.txt',
      sequencer: '0000000000000281000000000002F5CA',
      eventId: '4c2359fe-001e-00ba-0e04-58586806d298',
      eventTime: '2017-11-07T20:09:22.5674003Z',
    });
  });

  it('ignores a BlobCreated, another container and a deletion without its sequencer; BlobCreated ignores a deletion', () => {
    expect(toBlobDeleted(eventGrid.event, 'oc2d2817345i200097container')).toBeUndefined();
    expect(toBlobDeleted(eventGridDeleted.event, 'images')).toBeUndefined();
    const { sequencer: _s, ...noSequencer } = eventGridDeleted.event.data;
    expect(toBlobDeleted({ ...eventGridDeleted.event, data: noSequencer }, 'testcontainer')).toBeUndefined();
    expect(toBlobCreated(eventGridDeleted.event, 'testcontainer')).toBeUndefined();
  });

  it("is what the local stand-in sends, key for key, ordered after the same name's BlobCreated", () => {
    const created = blobCreatedEvent(
      'devstoreaccount1',
      'http://127.0.0.1:10000/devstoreaccount1/images/a/b.jpg',
      'images',
      { name: 'a/b.jpg', etag: '0x8DE0000000000000', contentLength: 10, lastModified: Date.now() },
      '0000019a00000000' + '0'.repeat(15) + '1',
    );
    const local = blobDeletedEvent(
      'devstoreaccount1',
      'http://127.0.0.1:10000/devstoreaccount1/images/a/b.jpg',
      'images',
      {
        name: 'a/b.jpg',
        etag: '0x8DE0000000000000',
        contentType: 'image/jpeg',
        sequencer: '0000019a00000000' + '0'.repeat(15) + '2',
      },
    );
    expect(shapeOf(local)).toEqual(shapeOf(eventGridDeleted.event));
    expect(local.id).not.toBe(created.id);
    expect(toBlobDeleted(local, 'images')).toMatchObject({ name: 'a/b.jpg' });
    expect(toBlobDeleted(local, 'images')!.sequencer > toBlobCreated(created, 'images')!.sequencer!).toBe(
      true,
    );
  });
});

describe('queue trigger metadata', () => {
  const message = {
    messageId: queue.triggerMetadata.Id.string,
    popReceipt: queue.triggerMetadata.PopReceipt.string,
    dequeueCount: 1,
    insertedOn: new Date('2022-08-25T05:06:39Z'),
    expiresOn: new Date('2022-09-01T05:06:39Z'),
    nextVisibleOn: new Date('2022-08-25T05:16:40Z'),
  };

  it('is what the local host sends, byte for byte, for the captured message', () => {
    expect(queueTriggerMetadata(message, queue.inputData.string)).toEqual(queue.triggerMetadata);
  });

  it('writes dates as Newtonsoft does: offset always, fraction trimmed', () => {
    expect(newtonsoftDate(new Date('2026-01-01T00:00:00.120Z'), '')).toBe('2026-01-01T00:00:00.12+00:00');
    expect(newtonsoftDate(undefined, 'max')).toBe('max');
  });

  it("lets a JSON message's own top-level `id` replace the queue's Id, as the host does", () => {
    const meta = queueTriggerMetadata(
      message,
      JSON.stringify({ id: 'mine', n: 5, ok: true, nested: { a: 1 } }),
    );
    expect(meta.Id).toBeUndefined();
    expect(meta).toMatchObject({
      id: { string: 'mine' },
      n: { string: '5' },
      ok: { string: 'True' },
      nested: { json: '{"a":1}' },
    });
  });

  it('converts to the delivery the worker needs, from the metadata as the library hands it over', () => {
    const context = new InvocationContext({ triggerMetadata: queue.converted });
    expect(toDeliveryInfo(context)).toEqual({
      messageId: '814b3b66-0200-4121-8ef3-405846a124bf',
      dequeueCount: 1,
      maxDequeueCount: hostJson.extensions.queues.maxDequeueCount,
    });
    expect(() => toDeliveryInfo(new InvocationContext({ triggerMetadata: {} }))).toThrow(/dequeueCount/);
  });
});

describe('host.json values the code depends on', () => {
  it('are read from the host.json the app ships, the same the local host reads', () => {
    const settings = readHostSettings();
    const local = toHostConfig(hostJson);
    expect(settings.maxDequeueCount).toBe(local.queues.maxDequeueCount);
    expect(settings.functionTimeoutMs).toBe(timeSpanMs(hostJson.functionTimeout));
  });
});
