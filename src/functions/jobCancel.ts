import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { baseUrl, errorResponse, json, notFound } from '../lib/http/responses';
import { cancelJob } from '../lib/jobs/cancelJob';
import { isJobId, jobView } from '../lib/jobs/job';
import { services } from './services';

/** DELETE /api/jobs/{id}: cancels what has not started; 200 with the job as it now stands. */
export async function jobCancel(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const id = request.params.id ?? '';
  if (!isJobId(id)) return notFound(`Job "${id.slice(0, 80)}"`);
  try {
    const job = await cancelJob(services(), id);
    if (!job) return notFound(`Job ${id}`);
    context.log(`job ${id} cancel -> ${job.status}`);
    return json(200, jobView(job, baseUrl(request)));
  } catch (err) {
    return errorResponse(err);
  }
}

app.http('jobCancel', {
  methods: ['DELETE'],
  route: 'api/jobs/{id}',
  authLevel: 'function',
  handler: jobCancel,
});
