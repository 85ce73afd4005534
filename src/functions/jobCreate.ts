import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { baseUrl, errorResponse, json, readJson } from '../lib/http/responses';
import { createJob } from '../lib/jobs/createJob';
import { jobView } from '../lib/jobs/job';
import { parseJobRequest } from '../lib/jobs/jobRequest';
import { services } from './services';

/**
 * POST /api/jobs: starts a bulk job over a container prefix (`{ container, prefix }`) or for
 * client uploads (`{ upload: true, total }`). 202 with where to poll; 404 for a missing container.
 */
export async function jobCreate(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const job = await createJob(services(), parseJobRequest(await readJson(request)));
    const view = jobView(job, baseUrl(request));
    const statusUrl = `${baseUrl(request)}/api/jobs/${job.id}`;
    context.log(`job ${job.id} created: ${job.kind} ${job.container ?? ''}/${job.prefix ?? ''}`);
    return json(
      202,
      { id: job.id, statusUrl, resultsUrl: view.resultsUrl, status: job.status },
      { location: statusUrl },
    );
  } catch (err) {
    const answer = errorResponse(err);
    if (answer.status === 500) context.error('job creation failed', err);
    return answer;
  }
}

app.http('jobCreate', {
  methods: ['POST'],
  route: 'api/jobs',
  authLevel: 'function',
  handler: jobCreate,
});
