import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { notFound } from '../lib/http/responses';
import { staticFiles } from '../lib/web/staticFiles';

/**
 * GET / and the page's assets. host.json sets routePrefix "" so that this catch-all can own
 * the site root; every API route spells out its "api/" prefix and wins by precedence.
 */
// Read once, when the app loads: only what web/ holds at start-up is served.
const staticFile = staticFiles();

export async function page(request: HttpRequest): Promise<HttpResponseInit> {
  const path = request.params.path ?? '';
  const file = path.startsWith('api/') ? undefined : staticFile(path);
  if (!file) return notFound(`"/${path.slice(0, 100)}"`);
  return {
    status: 200,
    body: file.body,
    headers: {
      'content-type': file.contentType,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy':
        "default-src 'self'; img-src 'self' blob: data:; connect-src 'self' http: https:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    },
  };
}

app.http('page', { methods: ['GET'], route: '{*path}', authLevel: 'anonymous', handler: page });
