import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { errorResponse, json } from '../lib/http/responses';
import { classifyRequest } from '../lib/sync/classifyRequest';
import { services } from './services';

/**
 * POST /api/classify: classifies one image now. 200 with the result when it succeeded, 422 with
 * the `failed` result when the image is bad (its `error.code` says why), 413 / 415 / 400 when
 * the request is wrong. An `internal_error` is the server's fault, not the image's: 500.
 */
export async function classifySync(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const result = await classifyRequest(services(), request);
    const { name, bytes } = result.source;
    context.log(`classify ${result.id} "${name}" (${bytes} bytes) -> ${result.error?.code ?? result.status}`);
    if (result.error?.code === 'internal_error') {
      context.error(`classify ${result.id} failed: ${result.error.message}`);
      return errorResponse(new Error(result.error.message));
    }
    return json(result.status === 'succeeded' ? 200 : 422, result);
  } catch (err) {
    const answer = errorResponse(err);
    if (answer.status === 500) context.error('classify failed unexpectedly', err);
    return answer;
  }
}

app.http('classifySync', {
  methods: ['POST'],
  route: 'api/classify',
  authLevel: 'anonymous',
  handler: classifySync,
});
