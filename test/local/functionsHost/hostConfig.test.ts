import { formatTimeSpan } from '../../../src/local/functionsHost/invoke';
import { parseTimeSpan, toHostConfig } from '../../../src/local/functionsHost/hostConfig';
import { withHostJsonOverrides } from '../../../src/lib/env';

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

  it('applies AzureFunctionsJobHost__ app settings over host.json, as the host does', () => {
    const hostJson = {
      version: '2.0',
      functionTimeout: '00:05:00',
      extensions: { queues: { maxDequeueCount: 5 } },
    };
    const env = {
      AzureFunctionsJobHost__functionTimeout: '00:01:00',
      AzureFunctionsJobHost__Extensions__Queues__MaxDequeueCount: '3',
      AzureFunctionsJobHost__extensions__http__routePrefix: 'v1',
      AzureWebJobsStorage: 'not a host.json value',
    };
    const config = toHostConfig(withHostJsonOverrides(hostJson, env));
    expect(config).toMatchObject({
      functionTimeoutMs: 60_000,
      routePrefix: 'v1',
      queues: { maxDequeueCount: 3 },
    });
    expect(hostJson.functionTimeout).toBe('00:05:00'); // the file's object is left as it was
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
