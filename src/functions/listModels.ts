import { app, type HttpResponseInit } from '@azure/functions';
import { errorResponse, json } from '../lib/http/responses';
import { services } from './services';

/** `GET /api/models`: the installed manifests, the default first (the page and `classify submit` read it). */
export async function listModels(): Promise<HttpResponseInit> {
  try {
    return json(200, services().models.list());
  } catch (err) {
    return errorResponse(err);
  }
}

app.http('listModels', {
  methods: ['GET'],
  route: 'api/models',
  authLevel: 'anonymous',
  handler: listModels,
});
