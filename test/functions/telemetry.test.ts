/**
 * OpenTelemetry end to end: the app started with APPLICATIONINSIGHTS_CONNECTION_STRING (pointed
 * at a stand-in ingestion endpoint) sends, through the Azure Monitor distro, what Application
 * Insights would store: the classifier's metrics with their dimensions, one span per result with
 * its timings and code, the storage calls as dependencies, and the function logs (which only the
 * Functions instrumentation, hooked into @azure/functions as it loads, sends from the worker).
 */
import { getJson, upload } from '../support/api';
import { startIngestion, metricPoints, type Envelope, type Ingestion } from '../../tools/ingestionStandIn';
import * as img from '../support/images';
import { eventually, useLocalStack } from '../support/stack';
import type { ClassificationResult } from '../../src/lib/results/result';

let ingestion: Ingestion;
const env: Record<string, string> = {};
beforeAll(async () => {
  ingestion = await startIngestion();
  Object.assign(env, ingestion.env, {
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
    // Every span kept: the distro's default keeps 5 traces a second, which the local host's own polling would fill.
    APPLICATIONINSIGHTS_CONFIGURATION_CONTENT: JSON.stringify({ samplingRatio: 1, tracesPerSecond: 0 }),
  });
});
const stack = useLocalStack({ env });
afterAll(() => ingestion.close());

const terminal = (url: string) =>
  eventually(`a terminal result at ${url}`, async () => {
    const { status, json } = await getJson(url);
    const r = json as ClassificationResult;
    return status === 200 && (r.status === 'succeeded' || r.status === 'failed') ? r : undefined;
  });

const spans = (envelopes: Envelope[]) =>
  envelopes.filter(
    (e) => e.data.baseType === 'RemoteDependencyData' && e.data.baseData.name === 'classify image',
  );

describe('telemetry', () => {
  it('sends metrics by path and error code, a span per result with its timings, storage dependencies and logs', async () => {
    const ticket = await upload(stack.url, 'cat.png', img.photo(img.CAT), 'image/png');
    const images = stack.blobs().getContainerClient('images');
    await images.getBlockBlobClient('telemetry/cat.png').uploadData(img.photo(img.CAT));
    await images.getBlockBlobClient('telemetry/broken.png').uploadData(img.photo(img.CAT).subarray(0, 3000));
    const sync = await fetch(`${stack.url}/api/classify?name=sync.png`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(img.photo(img.CAT)),
    });
    expect(sync.status).toBe(200);
    const uploaded = await terminal(`${stack.url}/api/results/${ticket.id}`);
    const dropped = await terminal(`${stack.url}/api/results?blob=images/telemetry/cat.png`);
    const broken = await terminal(`${stack.url}/api/results?blob=images/telemetry/broken.png`);
    expect([uploaded.status, dropped.status, broken.status]).toEqual(['succeeded', 'succeeded', 'failed']);
    // Metrics: one image per path and outcome, counted exactly (not sampled).
    const counted = await eventually('the image counts', async () => {
      const points = metricPoints(ingestion.envelopes, 'classifier.images');
      const byKey = new Map<string, number>();
      for (const p of points) {
        const key = `${p.properties['classifier.path']} ${p.properties['classifier.status']} ${p.properties['classifier.error_code']}`;
        byKey.set(key, (byKey.get(key) ?? 0) + p.value);
      }
      return byKey.size >= 4 ? byKey : undefined;
    });
    // Two more exports later, still one per image: nothing was recorded twice.
    await new Promise((r) => setTimeout(r, 2500));
    const again = new Map<string, number>();
    for (const p of metricPoints(ingestion.envelopes, 'classifier.images')) {
      const key = `${p.properties['classifier.path']} ${p.properties['classifier.status']} ${p.properties['classifier.error_code']}`;
      again.set(key, (again.get(key) ?? 0) + p.value);
    }
    expect(again).toEqual(counted);
    expect(Object.fromEntries(counted)).toEqual({
      'upload succeeded ': 1,
      'drop succeeded ': 1,
      'drop failed corrupt_image': 1,
      'sync succeeded ': 1,
    });
    const durations = metricPoints(ingestion.envelopes, 'classifier.image.duration');
    expect(durations.reduce((n, p) => n + p.count, 0)).toBe(4);
    const latency = metricPoints(ingestion.envelopes, 'classifier.queue.latency');
    expect(latency.reduce((n, p) => n + p.count, 0)).toBe(3); // the three that were queued

    // A span per result, with the result's own figures as attributes.
    const resultSpans = await eventually('the result spans', async () => {
      const found = spans(ingestion.envelopes);
      return found.length >= 4 ? found : undefined;
    });
    const span = resultSpans.find(
      (s) => s.data.baseData.properties?.['classifier.result_id'] === uploaded.id,
    );
    expect(span?.data.baseData.properties).toMatchObject({
      'classifier.path': 'upload',
      'classifier.status': 'succeeded',
      'classifier.label': uploaded.predictions![0].label,
      'classifier.total_ms': String(uploaded.timings.totalMs),
      'classifier.decode_ms': String(uploaded.timings.decodeMs),
    });
    const failed = resultSpans.find(
      (s) => s.data.baseData.properties?.['classifier.result_id'] === broken.id,
    );
    expect(failed?.data.baseData).toMatchObject({
      success: false,
      properties: { 'classifier.error_code': 'corrupt_image' },
    });

    // The storage calls as dependencies (here Azurite's), and the function logs, which only the
    // Functions instrumentation sends from the worker.
    const tableUrl = `${new URL(stack.table('results').url).origin}/devstoreaccount1/results`;
    const dependencies = ingestion.envelopes.filter((e) => e.data.baseType === 'RemoteDependencyData');
    expect(dependencies.some((e) => String(e.data.baseData.data).startsWith(tableUrl))).toBe(true);
    const log = await eventually('a function log', async () =>
      ingestion.envelopes.find(
        (e) =>
          e.data.baseType === 'MessageData' &&
          String(e.data.baseData.message).includes('blob images/telemetry/broken.png (3000 bytes) -> failed'),
      ),
    );
    expect(log.data.baseData).toMatchObject({ severityLevel: 'Information' });
  }, 120_000);
});
