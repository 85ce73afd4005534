import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { baseUrl, errorResponse, json, notFound } from '../lib/http/responses';
import { isJobId, jobView } from '../lib/jobs/job';
import { services } from './services';

/** GET /api/jobs/{id}: status and exact counts of a job. */
export async function jobGet(request: HttpRequest): Promise<HttpResponseInit> {
  const id = request.params.id ?? '';
  if (!isJobId(id)) return notFound(`Job "${id.slice(0, 80)}"`);
  try {
    const record = await services().jobs.get(id);
    return record ? json(200, jobView(record.job, baseUrl(request))) : notFound(`Job ${id}`);
  } catch (err) {
    return errorResponse(err);
  }
}

app.http('jobGet', { methods: ['GET'], route: 'api/jobs/{id}', authLevel: 'function', handler: jobGet });
