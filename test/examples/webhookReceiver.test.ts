// examples/webhook-receiver.mjs, the receiver docs/events.md offers, run as a user runs it:
// it takes what the app sends (signed by src/lib/events/webhook.ts) and refuses a delivery
// whose body, signature or timestamp is not the one signed.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { resultCompletedEvent } from '../../src/lib/events/cloudEvents';
import { postWebhook, webhookSignature } from '../../src/lib/events/webhook';

const ROOT = path.resolve(__dirname, '../..');
const key = randomBytes(32);
const secret = `whsec_${key.toString('base64')}`;
let receiver: ChildProcess;
let url = '';
let printed = '';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  receiver = spawn(process.execPath, [path.join(ROOT, 'examples/webhook-receiver.mjs')], {
    env: { ...process.env, PORT: String(port), CLASSIFIER_EVENTS_WEBHOOK_SECRET: secret },
  });
  await new Promise<void>((resolve, reject) => {
    receiver.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      if (printed.includes('Listening for events.')) resolve();
    });
    receiver.once('exit', (code) => reject(new Error(`the example exited with ${code}`)));
  });
});
afterAll(() => receiver.kill());

const event = resultCompletedEvent(
  {
    id: 'r1',
    status: 'succeeded',
    source: { name: 'cat.png' },
    predictions: [{ label: 'Egyptian cat', classIndex: 285, score: 0.6 }],
    model: { id: 'mobilenetv2-12-int8', sha256: 'x' },
    timings: { queueMs: 0, downloadMs: 0, decodeMs: 0, inferMs: 0, totalMs: 0 },
    createdAt: '2026-12-03T10:00:00.000Z',
    completedAt: '2026-12-03T10:00:01.000Z',
  },
  undefined,
);

describe('examples/webhook-receiver.mjs', () => {
  it("takes the app's signed deliveries, and prints an event once however often it comes", async () => {
    await postWebhook({ url, secret: key }, event);
    await postWebhook({ url, secret: key }, event);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(
      printed.match(/ImageClassifier\.ResultCompleted results\/r1 succeeded Egyptian cat/g),
    ).toHaveLength(1);
  });

  it('refuses another secret, a changed body, and a delivery signed more than five minutes ago', async () => {
    await expect(postWebhook({ url, secret: randomBytes(32) }, event)).rejects.toThrow(
      'the webhook answered 401',
    );
    await expect(postWebhook({ url, secret: key }, event, () => Date.now() - 6 * 60_000)).rejects.toThrow(
      'the webhook answered 401',
    );
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify(event);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'webhook-id': event.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignature(key, event.id, timestamp, body),
      },
      body: body.replace('Egyptian cat', 'tiger cat'),
    });
    expect(res.status).toBe(401);
  });
});
