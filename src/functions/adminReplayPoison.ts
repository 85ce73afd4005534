import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { MAX_REPLAY, replayPoison } from '../lib/admin/replayPoison';
import { badRequest } from '../lib/errors';
import { replayEventsPoison } from '../lib/events/replayEvents';
import { parseNumber } from '../lib/numbers';
import { errorResponse, json } from '../lib/http/responses';
import { services } from './services';

/**
 * POST /api/admin/replay-poison[?max=N][&queue=classify|events]: after a fix, moves
 * `classify-poison` messages back to `classify` (rows reset to `queued`), or with
 * `queue=events` the undelivered events on `events-poison` back to `events`. Function key
 * required in Azure.
 */
export async function adminReplayPoison(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const raw = request.query.get('max');
  const queue = request.query.get('queue') ?? 'classify';
  try {
    const max = raw === null ? undefined : parseNumber(raw, 'max', { min: 1, max: MAX_REPLAY }, badRequest);
    if (queue !== 'classify' && queue !== 'events')
      throw badRequest(`"queue" must be classify or events; found "${queue.slice(0, 40)}".`);
    if (queue === 'events') {
      const events = await replayEventsPoison(services().storage, { max });
      context.log(
        `replay-poison events: ${events.replayed.length} replayed, ${events.unreadable} unreadable`,
      );
      return json(200, events);
    }
    const outcome = await replayPoison(services(), { max });
    context.log(
      `replay-poison: ${outcome.replayed.length} replayed, ${outcome.dropped.length} dropped, ${outcome.unreadable} unreadable`,
    );
    return json(200, outcome);
  } catch (err) {
    const answer = errorResponse(err);
    if (answer.status === 500) context.error('replay-poison failed', err);
    return answer;
  }
}

app.http('adminReplayPoison', {
  methods: ['POST'],
  route: 'api/admin/replay-poison',
  authLevel: 'function',
  handler: adminReplayPoison,
});
