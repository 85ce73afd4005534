import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { ClassifierError } from '../lib/errors';
import { errorResponse, notFound } from '../lib/http/responses';
import { isDerivedResultId, isUploadId } from '../lib/results/ids';
import { deleteResult as deleteStoredResult } from '../lib/retention/deleteResult';
import { services } from './services';

/**
 * DELETE /api/results/{id}: removes an upload's bytes, its result JSON and its row; 204.
 * Anonymous on purpose: an upload id is a random UUID handed only to the uploader, so knowing
 * it is the capability (the same that lets them read the result). Drop-folder result ids are
 * derived from the blob path, so anyone knowing a path could compute one: those are refused
 * here; they go when their blob is deleted from the drop folder (imagesBlobDeleted), or expire
 * by retention.
 */
export async function deleteResult(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const id = request.params.id ?? '';
  if (!isUploadId(id)) {
    if (isDerivedResultId(id))
      return errorResponse(
        new ClassifierError(
          'bad_request',
          'Only upload results can be deleted here; a drop-folder result goes when its blob is deleted from the drop folder, or expires by retention.',
        ),
      );
    return notFound(`Result "${id.slice(0, 80)}"`);
  }
  try {
    if (!(await deleteStoredResult(services(), id))) return notFound(`Result ${id}`);
    context.log(`result ${id} deleted on request`);
    return { status: 204, headers: { 'cache-control': 'no-store' } };
  } catch (err) {
    return errorResponse(err);
  }
}

app.http('deleteResult', {
  methods: ['DELETE'],
  route: 'api/results/{id}',
  authLevel: 'anonymous',
  handler: deleteResult,
});
