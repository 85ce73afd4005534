import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { failureReport } from '../lib/admin/failureReport';
import { ClassifierError } from '../lib/errors';
import { errorResponse, json } from '../lib/http/responses';

/** GET /api/admin/failures[?ids=N]: failed results by error code, stuck results, poison counts. Function key required in Azure. */
export async function adminFailures(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const raw = request.query.get('ids');
  const idsPerCode = raw === null ? undefined : Number(raw);
  if (idsPerCode !== undefined && (!Number.isInteger(idsPerCode) || idsPerCode < 0 || idsPerCode > 10_000))
    return errorResponse(
      new ClassifierError(
        'bad_request',
        `"ids" must be a whole number from 0 to 10000, got "${raw?.slice(0, 20)}".`,
      ),
    );
  try {
    return json(200, await failureReport({ idsPerCode }));
  } catch (err) {
    context.error('failure report failed', err);
    return errorResponse(err);
  }
}

app.http('adminFailures', {
  methods: ['GET'],
  route: 'api/admin/failures',
  authLevel: 'function',
  handler: adminFailures,
});
