/**
 * Jest helper: a webhook receiver on loopback that records every delivery and checks its
 * Standard Webhooks signature itself (HMAC-SHA256 over `id.timestamp.body` with the secret's
 * bytes, written here from the specification, not taken from the app), and can answer with a
 * chosen status for a while, as a receiver that is down.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudEvent } from '../../src/lib/events/cloudEvents';

export interface Delivery {
  id: string;
  timestamp: number;
  signatureValid: boolean;
  contentType: string;
  event: CloudEvent<Record<string, unknown>>;
  /** What the receiver answered. */
  status: number;
  at: number;
}

export interface WebhookReceiver {
  readonly url: string;
  /** `whsec_` and base64 of 32 random bytes. */
  readonly secret: string;
  readonly deliveries: Delivery[];
  /** Deliveries answered 2xx. */
  accepted(): Delivery[];
  /** Answer `status` to every delivery until `until` (ms since the epoch). */
  failUntil(until: number, status?: number): void;
  /** Answer `status` until `until` to the deliveries `which` picks (the others are taken). */
  failFor(which: (event: Delivery['event']) => boolean, until: number, status?: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const key = randomBytes(32);
  const secret = `whsec_${key.toString('base64')}`;
  const deliveries: Delivery[] = [];
  let failing = { until: 0, status: 503 };
  const rules: { which: (event: Delivery['event']) => boolean; until: number; status: number }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id']);
      const timestamp = Number(req.headers['webhook-timestamp']);
      const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
      const signatureValid = String(req.headers['webhook-signature'] ?? '')
        .split(' ')
        .some((s) => {
          const [version, sig] = s.split(',');
          const given = Buffer.from(sig ?? '', 'base64');
          return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
        });
      const event = JSON.parse(body) as Delivery['event'];
      const rule = rules.find((r) => Date.now() < r.until && r.which(event));
      const status = Date.now() < failing.until ? failing.status : (rule?.status ?? 204);
      deliveries.push({
        id,
        timestamp,
        signatureValid,
        contentType: String(req.headers['content-type']),
        event,
        status,
        at: Date.now(),
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/classifier`,
    secret,
    deliveries,
    accepted: () => deliveries.filter((d) => d.status >= 200 && d.status < 300),
    failUntil: (until, status = 503) => (failing = { until, status }),
    failFor: (which, until, status = 503) => rules.push({ which, until, status }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
