import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { ClassifierError } from '../lib/errors';
import { errorResponse, json, notFound } from '../lib/http/responses';
import { resultIdForBlob } from '../lib/results/ids';
import { searchResultsStream, SEARCH_CONTENT_TYPES } from '../lib/search/searchAnswer';
import { TokenError } from '../lib/search/searchIndex';
import { parseSearchRequest } from '../lib/search/searchRequest';
import { watchedContainers } from '../lib/storage/names';
import { services } from './services';

/**
 * GET /api/results?blob=<container>/<path>: the result for a blob of a watched container; any
 * other query searches every stored result (`label`, `minScore`, `status`, …; docs/api.md#search),
 * from the search index. Both need the function key in Azure: anonymous, they would tell anyone
 * whether an operator's blob exists, its size, sha256 and labels. Upload results stay
 * anonymous by their unguessable id.
 */
export async function getResults(request: HttpRequest): Promise<HttpResponseInit> {
  if (request.query.has('blob')) return resultByBlob(request.query.get('blob') ?? '');
  try {
    const { query, top, continuationToken, format } = parseSearchRequest(request.query);
    if (format === 'json') {
      const page = await services().search.search(query, { top, continuationToken });
      return json(200, { items: page.items, continuationToken: page.continuationToken });
    }
    return {
      status: 200,
      body: searchResultsStream(services(), query, format),
      headers: {
        'content-type': SEARCH_CONTENT_TYPES[format],
        'content-disposition': `attachment; filename="results.${format}"`,
        'cache-control': 'no-store',
      },
    };
  } catch (err) {
    return errorResponse(err instanceof TokenError ? new ClassifierError('bad_request', err.message) : err);
  }
}

async function resultByBlob(blob: string): Promise<HttpResponseInit> {
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

app.http('getResults', {
  methods: ['GET'],
  route: 'api/results',
  authLevel: 'function',
  handler: getResults,
});
