/**
 * A stand-in for the Application Insights ingestion endpoint: a connection string whose
 * IngestionEndpoint points here makes the Azure Monitor exporter send its envelopes to this
 * server (POST /v2.1/track, JSON, possibly gzipped), which keeps them and answers as the
 * service does. What arrives is what Azure Monitor would store: metrics for customMetrics,
 * spans for requests and dependencies, logs for traces. The exporter speaks only HTTPS, so the
 * server has a certificate made for the run (openssl) that the app trusts through
 * NODE_EXTRA_CA_CERTS, which `env` carries.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface Envelope {
  name: string;
  time: string;
  data: { baseType: string; baseData: Record<string, unknown> & { properties?: Record<string, string> } };
}

export interface Ingestion {
  readonly connectionString: string;
  /** The environment an app needs to send here (the connection string, the certificate to trust). */
  readonly env: Record<string, string>;
  readonly envelopes: Envelope[];
  close(): Promise<void>;
}

export async function startIngestion(): Promise<Ingestion> {
  const envelopes: Envelope[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ingestion-'));
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      let items: Envelope[] = [];
      try {
        const parsed = JSON.parse(body.toString() || '[]') as Envelope | Envelope[];
        items = Array.isArray(parsed) ? parsed : [parsed];
      } catch {
        // not an envelope batch (a probe): counted as nothing
      }
      if (req.url?.includes('/track')) envelopes.push(...items);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `https://127.0.0.1:${port}/`;
  const connectionString = `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=${endpoint};LiveEndpoint=${endpoint}`;
  return {
    connectionString,
    env: {
      APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString,
      NODE_EXTRA_CA_CERTS: cert,
      // Statsbeat reports the SDK's own health to a Microsoft endpoint, not reachable here.
      APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
    },
    envelopes,
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        }),
      ),
  };
}

/** The metric points named `name` (MetricData envelopes carry one metric each). */
export function metricPoints(
  envelopes: Envelope[],
  name: string,
): { value: number; count: number; properties: Record<string, string> }[] {
  return envelopes
    .filter((e) => e.data.baseType === 'MetricData')
    .flatMap((e) => {
      const base = e.data.baseData as {
        metrics: { name: string; value: number; count?: number }[];
        properties?: Record<string, string>;
      };
      return base.metrics
        .filter((m) => m.name === name)
        .map((m) => ({ value: m.value, count: m.count ?? 1, properties: base.properties ?? {} }));
    });
}
