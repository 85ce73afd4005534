import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { replayPoison } from '../lib/admin/replayPoison';
import { badRequest } from '../lib/errors';
import { MAX_REPLAY } from '../lib/admin/replayPoison';
import { parseNumber } from '../lib/numbers';
import { errorResponse, json } from '../lib/http/responses';
import { services } from './services';

/**
 * POST /api/admin/replay-poison[?max=N]: after a fix, moves `classify-poison` messages back
 * to `classify` (rows reset to `queued`). Function key required in Azure.
 */
export async function adminReplayPoison(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const raw = request.query.get('max');
  try {
    const max = raw === null ? undefined : parseNumber(raw, 'max', { min: 1, max: MAX_REPLAY }, badRequest);
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
