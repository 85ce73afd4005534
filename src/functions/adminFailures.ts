import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { failureReport } from '../lib/admin/failureReport';
import { badRequest } from '../lib/errors';
import { parseNumber } from '../lib/numbers';
import { errorResponse, json } from '../lib/http/responses';
import { services } from './services';

/** GET /api/admin/failures[?ids=N]: failed results by error code, stuck results, poison counts. Function key required in Azure. */
export async function adminFailures(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const raw = request.query.get('ids');
  try {
    const idsPerCode =
      raw === null ? undefined : parseNumber(raw, 'ids', { min: 0, max: 10_000 }, badRequest);
    return json(200, await failureReport(services(), { idsPerCode }));
  } catch (err) {
    const answer = errorResponse(err);
    if (answer.status === 500) context.error('failure report failed', err);
    return answer;
  }
}

app.http('adminFailures', {
  methods: ['GET'],
  route: 'api/admin/failures',
  authLevel: 'function',
  handler: adminFailures,
});
