/**
 * The one client the CLI talks to a running app with (`submit`, `replay-poison`): `--api`
 * checked once, the contract's error JSON turned into readable errors. `--key` goes out as
 * `x-functions-key` on the routes that need it in Azure (jobs, admin); uploads are anonymous.
 */
import type { JobView } from '../lib/jobs/job';
import type { UploadTicket } from '../lib/uploads/createUpload';
import { UsageError } from './usageError';

export const DEFAULT_API = 'http://localhost:7071';

/** `--api` as given: an http(s) URL, returned without a trailing slash. */
export function parseApi(raw: string = DEFAULT_API): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--api must be the app's URL, such as ${DEFAULT_API}; got "${raw}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--api must be an http(s) URL, got "${raw}".`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export interface ApiOptions {
  /** Base URL of the app, e.g. http://localhost:7071. */
  api: string;
  key?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function call(
  options: ApiOptions,
  method: string,
  path: string,
  body?: unknown,
  keyed = true,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (keyed && options.key) headers['x-functions-key'] = options.key;
  let response: Response;
  try {
    response = await fetch(`${options.api}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(
      0,
      'unreachable',
      `Could not reach ${options.api}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}.`,
    );
  }
  if (response.ok) return response;
  const text = await response.text();
  const hint = response.status === 401 && !options.key ? ' (give the function key with --key)' : '';
  let error: { code?: string; message?: string } = {};
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
  } catch {
    // not the contract's JSON (a proxy, or 401 from the platform): keep the status
  }
  throw new ApiError(
    response.status,
    error.code ?? String(response.status),
    `${method} ${path} answered ${response.status}${error.message ? `: ${error.message}` : ''}${hint}`,
  );
}

export const createUploadJob = async (
  o: ApiOptions,
  total: number,
  model?: string,
): Promise<{ id: string; statusUrl: string }> =>
  (await (await call(o, 'POST', '/api/jobs', { upload: true, total, model })).json()) as {
    id: string;
    statusUrl: string;
  };

export const getJobView = async (o: ApiOptions, id: string): Promise<JobView> =>
  (await (await call(o, 'GET', `/api/jobs/${id}`)).json()) as JobView;

export const cancelJob = async (o: ApiOptions, id: string): Promise<void> => {
  await call(o, 'DELETE', `/api/jobs/${id}`);
};

export async function requestUpload(
  o: ApiOptions,
  body: { fileName: string; contentType: string; size: number; jobId: string },
): Promise<UploadTicket> {
  return (await (await call(o, 'POST', '/api/uploads', body, false)).json()) as UploadTicket;
}

export async function putBlob(ticket: UploadTicket, bytes: Buffer): Promise<void> {
  const response = await fetch(ticket.uploadUrl, {
    method: 'PUT',
    headers: ticket.headers,
    body: new Uint8Array(bytes),
  });
  if (!response.ok)
    throw new ApiError(
      response.status,
      'upload_failed',
      `PUT to the upload URL answered ${response.status}.`,
    );
}

/** POST /api/admin/replay-poison: what was replayed, dropped or left. */
export const replayPoison = async (o: ApiOptions, max?: number): Promise<unknown> =>
  (await (await call(o, 'POST', `/api/admin/replay-poison${max ? `?max=${max}` : ''}`)).json()) as unknown;

/** GET /api/admin/failures: failed results by error code (up to `ids` ids each), stuck rows, poison counts. */
export const failureReport = async (o: ApiOptions, ids: number): Promise<unknown> =>
  (await (await call(o, 'GET', `/api/admin/failures?ids=${ids}`)).json()) as unknown;

/** The job's results, one JSON line at a time, read as the response streams in. */
export async function* jobResultLines(o: ApiOptions, id: string): AsyncGenerator<string, void> {
  const response = await call(o, 'GET', `/api/jobs/${id}/results?format=jsonl`);
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of response.body ?? []) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    yield* lines.filter(Boolean);
  }
  if (rest.trim()) yield rest;
}
