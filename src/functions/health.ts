import { app, type HttpResponseInit } from '@azure/functions';
import { checkHealth } from '../lib/health';
import { json } from '../lib/http/responses';
import { services } from './services';

/** GET /api/health: 200 when the model is loaded and storage answers, else 503 saying which part is down. */
export async function health(): Promise<HttpResponseInit> {
  const report = await checkHealth(services());
  return json(report.status === 'ok' ? 200 : 503, report);
}

app.http('health', { methods: ['GET'], route: 'api/health', authLevel: 'anonymous', handler: health });
