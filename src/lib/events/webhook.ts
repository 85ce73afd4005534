/**
 * The webhook sink, signed as the Standard Webhooks specification says
 * (https://www.standardwebhooks.com): `webhook-id` (the CloudEvent's id, the same on every
 * redelivery), `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
 * (`v1,` and base64 of HMAC-SHA256 over `id.timestamp.body` with the secret's bytes). The body
 * is the CloudEvent in structured JSON. The URL is a setting, never anything from a request.
 */
import { createHmac } from 'node:crypto';
import type { CloudEvent } from './cloudEvents';
import { SinkError } from './sinkError';

/** Event Grid's own limit for an endpoint to answer; a slower receiver is retried later. */
const ANSWER_TIMEOUT_MS = 30_000;

export function webhookSignature(secret: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export async function postWebhook(
  webhook: { url: string; secret: Buffer },
  event: CloudEvent,
  now: () => number = Date.now,
): Promise<void> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(now() / 1000);
  let response: Response;
  try {
    response = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/cloudevents+json; charset=utf-8',
        'webhook-id': event.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignature(webhook.secret, event.id, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
    await response.arrayBuffer().catch(() => undefined);
  } catch (err) {
    throw new SinkError(`the webhook did not answer: ${(err as Error).message}`, { retryable: true });
  }
  if (response.status >= 200 && response.status < 300) return;
  throw new SinkError(`the webhook answered ${response.status}`, {
    retryable: response.status === 408 || response.status === 429 || response.status >= 500,
  });
}
