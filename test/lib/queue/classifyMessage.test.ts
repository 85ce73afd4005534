/** The `classify` queue's messages, checked where they enter, including the older shapes still in a poison queue. */
import { parseClassifyMessage, resultIdsOf } from '../../../src/lib/queue/classifyMessage';

const at = '2026-12-01T00:00:00.000Z';

describe('classify messages', () => {
  it('reads a blob hand-off and a job message of several images', () => {
    const blob = {
      kind: 'blob',
      resultId: 'b-1',
      container: 'images',
      blob: 'a.jpg',
      etag: '0x1',
      sequencer: '01',
      enqueuedAt: at,
    };
    expect(parseClassifyMessage(JSON.stringify(blob))).toEqual(blob);
    const job = {
      kind: 'job',
      jobId: 'j',
      container: 'photos',
      images: [
        { resultId: 'b-2', blob: 'x.jpg' },
        { resultId: 'b-3', blob: 'y.jpg', etag: '0x2' },
      ],
      enqueuedAt: at,
    };
    expect(resultIdsOf(parseClassifyMessage(job))).toEqual(['b-2', 'b-3']);
  });

  it('reads the shapes written before: `id`, and one job image per message', () => {
    expect(parseClassifyMessage({ id: 'b-1', container: 'images', blob: 'a.jpg', enqueuedAt: at })).toEqual({
      kind: 'blob',
      resultId: 'b-1',
      container: 'images',
      blob: 'a.jpg',
      enqueuedAt: at,
    });
    expect(
      parseClassifyMessage({ id: 'b-2', container: 'photos', blob: 'x.jpg', jobId: 'j', enqueuedAt: at }),
    ).toEqual({
      kind: 'job',
      jobId: 'j',
      container: 'photos',
      images: [{ resultId: 'b-2', blob: 'x.jpg', etag: undefined }],
      check: undefined,
      enqueuedAt: at,
    });
  });

  it.each([
    ['no result id', { container: 'images', blob: 'a.jpg', enqueuedAt: at }],
    ['a job without images', { kind: 'job', jobId: 'j', container: 'photos', images: [], enqueuedAt: at }],
    ['an unknown kind', { kind: 'other', resultId: 'b', container: 'c', blob: 'x', enqueuedAt: at }],
    [
      'a size that is not a number',
      { kind: 'blob', resultId: 'b', container: 'c', blob: 'x', size: '5', enqueuedAt: at },
    ],
  ])('refuses %s', (_what, message) => {
    expect(() => parseClassifyMessage(message)).toThrow(/Malformed classify message/);
  });
});
