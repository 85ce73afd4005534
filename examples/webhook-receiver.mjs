// A webhook receiver for the classifier's events (docs/events.md), in plain Node with no
// dependencies: it verifies each delivery as the Standard Webhooks specification says, drops
// the duplicates of an event it has seen (by its id), and prints the rest.
//
//   CLASSIFIER_EVENTS_WEBHOOK_SECRET=whsec_... node examples/webhook-receiver.mjs   (port 8080, or PORT)
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/** Five minutes either way, as the specification suggests: an old delivery replayed by someone else is refused. */
const TOLERANCE_S = 5 * 60;

/**
 * Whether a delivery is genuine: `secret` is `whsec_<base64>`, `headers` its webhook-* headers
 * (lower-case names), `body` the raw body as received (never re-serialised JSON).
 */
export function verify(secret, headers, body, nowS = Math.floor(Date.now() / 1000)) {
  const id = headers['webhook-id'];
  const timestamp = Number(headers['webhook-timestamp']);
  if (!id || !Number.isInteger(timestamp) || Math.abs(nowS - timestamp) > TOLERANCE_S) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  // Several signatures, space-separated, while a secret is being rotated.
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .some((entry) => {
      const [version, signature] = entry.split(',');
      const given = Buffer.from(signature ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

function main() {
  const secret = process.env.CLASSIFIER_EVENTS_WEBHOOK_SECRET;
  if (!secret) throw new Error('Set CLASSIFIER_EVENTS_WEBHOOK_SECRET to the secret the app signs with.');
  const seen = new Set();
  createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (!verify(secret, req.headers, body)) return res.writeHead(401).end();
      const event = JSON.parse(body);
      if (!seen.has(event.id)) {
        seen.add(event.id);
        const { status, succeeded, failed, predictions } = event.data;
        console.log(
          event.type,
          event.subject,
          status,
          predictions?.[0]?.label ?? `${succeeded} succeeded, ${failed} failed`,
        );
      }
      res.writeHead(204).end();
    });
  }).listen(Number(process.env.PORT ?? 8080), () => console.log('Listening for events.'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
