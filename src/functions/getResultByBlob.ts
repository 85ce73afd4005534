import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { ClassifierError } from '../lib/errors';
import { errorResponse, json, notFound } from '../lib/http/responses';
import { resultIdForBlob } from '../lib/results/ids';
import { watchedContainers } from '../lib/storage/names';
import { services } from './services';

/**
 * GET /api/results?blob=<container>/<path>: the result for a blob of a watched container. It
 * needs the function key in Azure: anonymous, it would tell anyone whether an operator's blob
 * exists, its size, sha256 and labels. Upload results stay anonymous by their unguessable id.
 */
export async function getResultByBlob(request: HttpRequest): Promise<HttpResponseInit> {
  const blob = request.query.get('blob') ?? '';
  const slash = blob.indexOf('/');
  const [container, name] = [blob.slice(0, slash), blob.slice(slash + 1)];
  if (slash < 1 || !name || !(watchedContainers as readonly string[]).includes(container)) {
    return errorResponse(
      new ClassifierError(
        'bad_request',
        `Give ?blob=<container>/<path> with container one of ${watchedContainers.join(', ')}.`,
      ),
    );
  }
  try {
    const id = resultIdForBlob(container, name);
    const record = id === undefined ? undefined : await services().results.get(id);
    return record ? json(200, record.result) : notFound(`A result for blob ${container}/${name}`);
  } catch (err) {
    return errorResponse(err);
  }
}

app.http('getResultByBlob', {
  methods: ['GET'],
  route: 'api/results',
  authLevel: 'function',
  handler: getResultByBlob,
});
