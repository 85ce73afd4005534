/**
 * Jest helper: OpenTelemetry providers that keep what they are given, for ResultTelemetry's
 * `meterProvider` and `tracerProvider` options. The OpenTelemetry SDKs are not dependencies of
 * this project (only the Azure Monitor distro brings them, as its own), so these implement the
 * API's interfaces over its no-op meter and tracer, overriding only the calls the app makes:
 * createCounter, createHistogram, startSpan, and the span's setStatus and end.
 *
 *   const telemetry = recordingTelemetry();
 *   new ResultTelemetry(telemetry.providers).record(result, 'upload');
 *   expect(telemetry.points('classifier.images')).toEqual([...]);
 */
import {
  createNoopMeter,
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  trace,
  type Attributes,
  type MeterProvider,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type TracerProvider,
} from '@opentelemetry/api';

/** One `add` on a counter or `record` on a histogram. */
export interface RecordedPoint {
  value: number;
  attributes: Attributes;
}

export interface RecordedSpan {
  name: string;
  options: SpanOptions;
  status?: SpanStatus;
  endTime?: TimeInput;
  ended: boolean;
}

export interface RecordingTelemetry {
  readonly providers: { meterProvider: MeterProvider; tracerProvider: TracerProvider };
  /** The points of one instrument, by its name, in the order they came. */
  points(instrument: string): RecordedPoint[];
  readonly spans: RecordedSpan[];
  /** The instruments created, by name, with their kind. */
  readonly instruments: Map<string, 'counter' | 'histogram'>;
}

export function recordingTelemetry(): RecordingTelemetry {
  const points = new Map<string, RecordedPoint[]>();
  const instruments = new Map<string, 'counter' | 'histogram'>();
  const spans: RecordedSpan[] = [];
  const pointsOf = (name: string): RecordedPoint[] => {
    const list = points.get(name) ?? [];
    points.set(name, list);
    return list;
  };
  const instrument = (kind: 'counter' | 'histogram') => (name: string) => {
    instruments.set(name, kind);
    const keep = (value: number, attributes: Attributes = {}): void => {
      pointsOf(name).push({ value, attributes });
    };
    return kind === 'counter' ? { add: keep } : { record: keep };
  };
  const meter = Object.assign(createNoopMeter(), {
    createCounter: instrument('counter'),
    createHistogram: instrument('histogram'),
  });
  const tracer = Object.assign(new ProxyTracerProvider().getTracer('recording'), {
    startSpan(name: string, options: SpanOptions = {}) {
      const recorded: RecordedSpan = { name, options, ended: false };
      spans.push(recorded);
      const span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
      return Object.assign(span, {
        setStatus(status: SpanStatus) {
          recorded.status = status;
          return span;
        },
        end(endTime?: TimeInput) {
          recorded.endTime = endTime;
          recorded.ended = true;
        },
      });
    },
  });
  return {
    providers: {
      meterProvider: { getMeter: () => meter },
      tracerProvider: { getTracer: () => tracer },
    },
    points: (name) => [...(points.get(name) ?? [])],
    spans,
    instruments,
  };
}
