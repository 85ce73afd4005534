/**
 * What each finished image tells an operator, through the OpenTelemetry API: a span per
 * result, its timings and error code as attributes, under the function invocation that made
 * it; and three metrics, exact where spans are sampled: images (count, by status, error code,
 * model and path), their duration, and their time in the queue. Azure Monitor keeps spans in
 * `dependencies` and metrics in `customMetrics` (docs/monitoring.md has the queries). Without
 * an SDK registered (the CLI, the tests, an app without APPLICATIONINSIGHTS_CONNECTION_STRING)
 * every call is the API's no-op.
 */
import {
  metrics,
  trace,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { ClassificationResult } from '../results/result';

/** How the image came: the page's upload, the drop folder, a bulk job, or POST /api/classify. */
export type ResultPath = 'upload' | 'drop' | 'job' | 'sync';

export const METRIC_NAMES = {
  images: 'classifier.images',
  duration: 'classifier.image.duration',
  queueLatency: 'classifier.queue.latency',
} as const;

export interface ResultTelemetryOptions {
  /** Default: the global providers, registered by src/index.ts when telemetry is on. */
  meterProvider?: MeterProvider;
  tracerProvider?: TracerProvider;
}

export class ResultTelemetry {
  private readonly images: Counter;
  private readonly duration: Histogram;
  private readonly queueLatency: Histogram;
  private readonly tracer: Tracer;

  constructor(options: ResultTelemetryOptions = {}) {
    const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter('image-classifier');
    this.images = meter.createCounter(METRIC_NAMES.images, {
      description: 'Images finished, by status, error code, model and path',
      unit: '{image}',
    });
    this.duration = meter.createHistogram(METRIC_NAMES.duration, {
      description: 'From the start of work on an image to its result (timings.totalMs)',
      unit: 'ms',
    });
    this.queueLatency = meter.createHistogram(METRIC_NAMES.queueLatency, {
      description: 'From the image being queued (or uploaded) to the start of work on it (timings.queueMs)',
      unit: 'ms',
    });
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer('image-classifier');
  }

  /** Records one terminal result: call once per result, where it is stored (or answered). */
  record(result: ClassificationResult, path: ResultPath): void {
    const dimensions: Attributes = {
      'classifier.path': path,
      'classifier.status': result.status,
      'classifier.model': result.model.id,
      'classifier.error_code': result.error?.code ?? '',
      'classifier.reused': result.reused === true,
    };
    this.images.add(1, dimensions);
    // A file refused before any work (empty, too large, not an image) has no timings to add.
    if (result.timings.totalMs > 0) {
      this.duration.record(result.timings.totalMs, dimensions);
      if (path !== 'sync') this.queueLatency.record(result.timings.queueMs, { 'classifier.path': path });
    }
    const { timings } = result;
    const end = Date.now();
    const span = this.tracer.startSpan('classify image', {
      kind: SpanKind.INTERNAL,
      startTime: end - timings.totalMs,
      attributes: {
        ...dimensions,
        'classifier.result_id': result.id,
        'classifier.job_id': result.jobId ?? '',
        'classifier.label': result.predictions?.[0]?.label ?? '',
        'classifier.score': result.predictions?.[0]?.score ?? 0,
        'classifier.bytes': result.source.bytes ?? 0,
        'classifier.queue_ms': timings.queueMs,
        'classifier.download_ms': timings.downloadMs,
        'classifier.decode_ms': timings.decodeMs,
        'classifier.infer_ms': timings.inferMs,
        'classifier.total_ms': timings.totalMs,
      },
    });
    if (result.error) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.code });
    span.end(end);
  }
}
