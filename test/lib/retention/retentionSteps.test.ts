/**
 * The retention sweep runs as queued steps, one page each (no invocation outruns
 * functionTimeout), against Azurite alone: each step deletes a page and queues the next on the
 * `jobs` queue until nothing expired is left.
 */
import { parseJobMessage } from '../../../src/lib/jobs/jobMessage';
import { runJobStep } from '../../../src/lib/jobs/runJobStep';
import { decodeQueueMessage } from '../../../src/lib/queue/encoding';
import { zeroTimings } from '../../../src/lib/results/result';
import { firstRetentionStep } from '../../../src/lib/retention/cleanupExpired';
import { storageNames } from '../../../src/lib/storage/names';
import { useServices } from '../../support/services';

const env = useServices();

it('deletes a page per step and queues the next until the sweep is done', async () => {
  const old = new Date(Date.now() - 40 * 24 * 3600 * 1000).toISOString();
  const ids = Array.from({ length: 5 }, (_, i) => `r-step-${i}`);
  for (const id of ids) {
    await env.services.results.create({
      id,
      status: 'failed',
      source: { name: `${id}.jpg` },
      model: { id: 'm', sha256: 'abc' },
      error: { code: 'corrupt_image', message: 'x' },
      timings: zeroTimings(),
      createdAt: old,
      completedAt: old,
    });
  }
  const queue = env.services.storage.queues.getQueueClient(storageNames.jobsQueue);
  let steps = 0;
  let message: unknown = { kind: 'retention', step: firstRetentionStep({ pageSize: 2 }) };
  while (message) {
    const outcome = await runJobStep(env.services, parseJobMessage(message));
    steps++;
    if (!outcome.endsWith('next step queued') || steps > 20) break;
    const { receivedMessageItems: [next] = [] } = await queue.receiveMessages();
    if (!next) break;
    await queue.deleteMessage(next.messageId, next.popReceipt);
    message = decodeQueueMessage(next.messageText);
  }
  // One uploads step, then results in pages of 2 (2 + 2 + 1), and the sweep ends by itself.
  expect(steps).toBe(4);
  for (const id of ids) expect(await env.services.results.get(id)).toBeUndefined();
  expect((await queue.receiveMessages()).receivedMessageItems).toHaveLength(0);
});
