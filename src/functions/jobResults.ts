import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { ClassifierError } from '../lib/errors';
import { errorResponse, notFound } from '../lib/http/responses';
import { isJobId } from '../lib/jobs/job';
import { EXPORT_CONTENT_TYPES, jobResultsStream } from '../lib/jobs/jobExport';
import { services } from './services';

/**
 * GET /api/jobs/{id}/results?format=jsonl|csv: every terminal result of the job, produced page
 * by page from Table storage. The body is a stream; the library sends it as it is read when
 * HTTP streaming is on (`app.setup({ enableHttpStream: true })`), otherwise it collects it first.
 */
export async function jobResults(request: HttpRequest): Promise<HttpResponseInit> {
  const id = request.params.id ?? '';
  if (!isJobId(id)) return notFound(`Job "${id.slice(0, 80)}"`);
  const format = request.query.get('format') ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv')
    return errorResponse(
      new ClassifierError('bad_request', `"format" must be jsonl or csv, got "${format.slice(0, 40)}".`),
    );
  try {
    if (!(await services().jobs.get(id))) return notFound(`Job ${id}`);
    return {
      status: 200,
      body: jobResultsStream(services(), id, format),
      headers: {
        'content-type': EXPORT_CONTENT_TYPES[format],
        'content-disposition': `attachment; filename="job-${id}.${format}"`,
        'cache-control': 'no-store',
      },
    };
  } catch (err) {
    return errorResponse(err);
  }
}

app.http('jobResults', {
  methods: ['GET'],
  route: 'api/jobs/{id}/results',
  authLevel: 'function',
  handler: jobResults,
});
