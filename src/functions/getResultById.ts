import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { errorResponse, json, notFound } from '../lib/http/responses';
import { isResultId } from '../lib/results/ids';
import { services } from './services';

/** GET /api/results/{id}: the result object, for polling. */
export async function getResultById(request: HttpRequest): Promise<HttpResponseInit> {
  const id = request.params.id ?? '';
  if (!isResultId(id)) return notFound(`Result "${id.slice(0, 80)}"`);
  try {
    const record = await services().results.get(id);
    return record ? json(200, record.result) : notFound(`Result ${id}`);
  } catch (err) {
    return errorResponse(err);
  }
}

app.http('getResultById', {
  methods: ['GET'],
  route: 'api/results/{id}',
  authLevel: 'anonymous',
  handler: getResultById,
});
