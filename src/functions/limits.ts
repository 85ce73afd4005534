import { app, type HttpResponseInit } from '@azure/functions';
import { limitsFromEnv } from '../lib/decode/limits';
import { FORMAT_MIME } from '../lib/decode/sniff';
import { json } from '../lib/http/responses';

/**
 * `GET /api/limits`: what an upload may be (the byte and pixel limits, the accepted types), so the
 * page and scripts check a file before sending it with the server's own figures.
 */
export function limits(): HttpResponseInit {
  const { maxBytes, maxPixels } = limitsFromEnv();
  return json(200, { maxBytes, maxPixels, types: Object.values(FORMAT_MIME) });
}

app.http('limits', {
  methods: ['GET'],
  route: 'api/limits',
  authLevel: 'anonymous',
  handler: limits,
});
