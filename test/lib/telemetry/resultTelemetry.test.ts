/**
 * What one finished image tells an operator, read from providers that keep every point and span
 * (test/support/recordingTelemetry.ts): the image count with its dimensions, the duration and
 * queue latency only for work that took time (and no queue latency for sync requests), and one
 * span with the result's timings, marked as an error when the result failed.
 */
import { metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { zeroTimings, type ClassificationResult } from '../../../src/lib/results/result';
import { METRIC_NAMES, ResultTelemetry } from '../../../src/lib/telemetry/resultTelemetry';
import { recordingTelemetry } from '../../support/recordingTelemetry';

const succeeded = (extra: Partial<ClassificationResult> = {}): ClassificationResult => ({
  id: 'b-' + '1'.repeat(40),
  status: 'succeeded',
  source: { name: 'cat.png', bytes: 12_345 },
  model: { id: 'mobilenetv2-12-int8', sha256: 'abc' },
  predictions: [{ label: 'tabby, tabby cat', classIndex: 281, score: 0.87 }],
  timings: { queueMs: 40, downloadMs: 5, decodeMs: 12, inferMs: 20, totalMs: 77 },
  createdAt: new Date().toISOString(),
  completedAt: new Date().toISOString(),
  ...extra,
});

const failed = (
  code: 'unsupported_format' | 'internal_error',
  timings = zeroTimings(),
): ClassificationResult => {
  const { predictions: _p, ...rest } = succeeded();
  return { ...rest, status: 'failed', error: { code, message: 'No.' }, timings };
};

describe('ResultTelemetry', () => {
  it('counts a finished image with its path, status, model, error code and reuse', () => {
    const telemetry = recordingTelemetry();
    const record = new ResultTelemetry(telemetry.providers);
    record.record(succeeded(), 'upload');
    record.record(succeeded({ reused: true }), 'drop');
    record.record(failed('unsupported_format'), 'job');
    expect(telemetry.instruments.get(METRIC_NAMES.images)).toBe('counter');
    expect(telemetry.points(METRIC_NAMES.images)).toEqual([
      {
        value: 1,
        attributes: {
          'classifier.path': 'upload',
          'classifier.status': 'succeeded',
          'classifier.model': 'mobilenetv2-12-int8',
          'classifier.error_code': '',
          'classifier.reused': false,
        },
      },
      expect.objectContaining({
        value: 1,
        attributes: expect.objectContaining({
          'classifier.path': 'drop',
          'classifier.reused': true,
        }) as unknown,
      }),
      expect.objectContaining({
        value: 1,
        attributes: expect.objectContaining({
          'classifier.path': 'job',
          'classifier.status': 'failed',
          'classifier.error_code': 'unsupported_format',
        }) as unknown,
      }),
    ]);
  });

  it('records the duration with the same dimensions and the queue latency by path alone', () => {
    const telemetry = recordingTelemetry();
    new ResultTelemetry(telemetry.providers).record(succeeded(), 'upload');
    const [count] = telemetry.points(METRIC_NAMES.images);
    expect(telemetry.instruments.get(METRIC_NAMES.duration)).toBe('histogram');
    expect(telemetry.points(METRIC_NAMES.duration)).toEqual([{ value: 77, attributes: count.attributes }]);
    expect(telemetry.points(METRIC_NAMES.queueLatency)).toEqual([
      { value: 40, attributes: { 'classifier.path': 'upload' } },
    ]);
  });

  it('gives a sync request a duration but no queue latency (it never waited in a queue)', () => {
    const telemetry = recordingTelemetry();
    new ResultTelemetry(telemetry.providers).record(succeeded(), 'sync');
    expect(telemetry.points(METRIC_NAMES.duration).map((p) => p.value)).toEqual([77]);
    expect(telemetry.points(METRIC_NAMES.queueLatency)).toEqual([]);
  });

  it('counts a file refused before any work but adds no zero to the duration or latency', () => {
    const telemetry = recordingTelemetry();
    new ResultTelemetry(telemetry.providers).record(failed('unsupported_format'), 'upload');
    expect(telemetry.points(METRIC_NAMES.images)).toHaveLength(1);
    expect(telemetry.points(METRIC_NAMES.duration)).toEqual([]);
    expect(telemetry.points(METRIC_NAMES.queueLatency)).toEqual([]);
  });

  it('ends one span per result that starts totalMs before it ends and carries the timings', () => {
    const telemetry = recordingTelemetry();
    const result = succeeded({ jobId: 'job-1' });
    new ResultTelemetry(telemetry.providers).record(result, 'job');
    expect(telemetry.spans).toHaveLength(1);
    const [span] = telemetry.spans;
    expect(span).toMatchObject({ name: 'classify image', ended: true, options: { kind: SpanKind.INTERNAL } });
    expect(span.status).toBeUndefined();
    expect(span.endTime as number).toBe((span.options.startTime as number) + result.timings.totalMs);
    expect(span.options.attributes).toEqual({
      'classifier.path': 'job',
      'classifier.status': 'succeeded',
      'classifier.model': 'mobilenetv2-12-int8',
      'classifier.error_code': '',
      'classifier.reused': false,
      'classifier.result_id': result.id,
      'classifier.job_id': 'job-1',
      'classifier.label': 'tabby, tabby cat',
      'classifier.score': 0.87,
      'classifier.bytes': 12_345,
      'classifier.queue_ms': 40,
      'classifier.download_ms': 5,
      'classifier.decode_ms': 12,
      'classifier.infer_ms': 20,
      'classifier.total_ms': 77,
    });
  });

  it("marks a failed result's span as an error whose message is the code", () => {
    const telemetry = recordingTelemetry();
    const timings = { queueMs: 1, downloadMs: 2, decodeMs: 0, inferMs: 0, totalMs: 3 };
    new ResultTelemetry(telemetry.providers).record(failed('internal_error', timings), 'drop');
    expect(telemetry.spans[0].status).toEqual({ code: SpanStatusCode.ERROR, message: 'internal_error' });
    expect(telemetry.spans[0].options.attributes).toMatchObject({
      'classifier.label': '',
      'classifier.score': 0,
      'classifier.job_id': '',
    });
  });

  it('uses the global providers when given none (what src/index.ts registers)', () => {
    const telemetry = recordingTelemetry();
    metrics.setGlobalMeterProvider(telemetry.providers.meterProvider);
    trace.setGlobalTracerProvider(telemetry.providers.tracerProvider);
    try {
      new ResultTelemetry().record(succeeded(), 'upload');
    } finally {
      metrics.disable();
      trace.disable();
    }
    expect(telemetry.points(METRIC_NAMES.images)).toHaveLength(1);
    expect(telemetry.spans).toHaveLength(1);
  });
});
