import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { replayPoison } from '../lib/admin/replayPoison';
import { ClassifierError } from '../lib/errors';
import { errorResponse, json } from '../lib/http/responses';

/**
 * POST /api/admin/replay-poison[?max=N]: after a fix, moves `classify-poison` messages back
 * to `classify` (rows reset to `queued`). Function key required in Azure.
 */
export async function adminReplayPoison(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const raw = request.query.get('max');
  const max = raw === null ? undefined : Number(raw);
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 100_000))
    return errorResponse(
      new ClassifierError(
        'bad_request',
        `"max" must be a whole number from 1 to 100000, got "${raw?.slice(0, 20)}".`,
      ),
    );
  try {
    const outcome = await replayPoison({ max });
    context.log(
      `replay-poison: ${outcome.replayed.length} replayed, ${outcome.dropped.length} dropped, ${outcome.unreadable} unreadable`,
    );
    return json(200, outcome);
  } catch (err) {
    context.error('replay-poison failed', err);
    return errorResponse(err);
  }
}

app.http('adminReplayPoison', {
  methods: ['POST'],
  route: 'api/admin/replay-poison',
  authLevel: 'function',
  handler: adminReplayPoison,
});
