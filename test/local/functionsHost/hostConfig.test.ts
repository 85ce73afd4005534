import { formatTimeSpan } from '../../../src/local/functionsHost/invoke';
import { parseTimeSpan, toHostConfig } from '../../../src/local/functionsHost/hostConfig';

describe('host.json settings', () => {
  it('uses the host defaults when host.json says nothing', () => {
    expect(toHostConfig({ version: '2.0' })).toEqual({
      routePrefix: 'api',
      queues: {
        batchSize: 16,
        newBatchThreshold: 8,
        visibilityTimeoutMs: 0,
        maxDequeueCount: 5,
        maxPollingIntervalMs: 60_000,
        messageEncoding: 'base64',
      },
      functions: undefined,
      // Flex Consumption's default functionTimeout (learn.microsoft.com, "Function app timeout duration").
      functionTimeoutMs: 30 * 60_000,
    });
  });

  it('writes TimeSpans as the host logs them', () => {
    expect([300_000, 2000, 86_400_000 + 3_600_000, 500].map(formatTimeSpan)).toEqual([
      '00:05:00',
      '00:00:02',
      '1.01:00:00',
      '00:00:00.5000000',
    ]);
  });

  it('reads queue settings and an empty route prefix', () => {
    const config = toHostConfig({
      extensions: {
        http: { routePrefix: '' },
        queues: { batchSize: 4, visibilityTimeout: '00:00:10', messageEncoding: 'none' },
      },
    });
    expect(config.routePrefix).toBe('');
    expect(config.queues).toMatchObject({
      batchSize: 4,
      newBatchThreshold: 2,
      visibilityTimeoutMs: 10_000,
      messageEncoding: 'none',
    });
  });

  it('parses TimeSpans with days and fractions and rejects other text', () => {
    expect(parseTimeSpan('1.00:00:01.250', 0)).toBe(86_401_250);
    expect(() => parseTimeSpan('2s', 0)).toThrow(/TimeSpan like "00:00:02"/);
  });
});
