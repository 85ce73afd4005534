import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { limitsFromEnv } from '../lib/decode/limits';
import { baseUrl, errorResponse, json, readJson } from '../lib/http/responses';
import { createUpload } from '../lib/uploads/createUpload';
import { parseUploadRequest } from '../lib/uploads/uploadRequest';
import { services } from './services';

/** POST /api/uploads: a SAS URL for one new blob, and where to poll for its result. */
export async function requestUpload(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const upload = parseUploadRequest(await readJson(request), limitsFromEnv());
    const ticket = await createUpload(services(), upload, { baseUrl: baseUrl(request) });
    context.log(`upload ${ticket.id} issued for ${upload.size} bytes of ${upload.contentType}`);
    return json(201, ticket, { location: ticket.statusUrl });
  } catch (err) {
    return errorResponse(err);
  }
}

app.http('requestUpload', {
  methods: ['POST'],
  route: 'api/uploads',
  authLevel: 'anonymous',
  handler: requestUpload,
});
