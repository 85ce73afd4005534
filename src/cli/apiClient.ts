/**
 * The one client the CLI talks to a running app with (`submit`, `search`, `replay-poison`): `--api`
 * checked once, the contract's error JSON turned into readable errors. `--key` goes out as
 * `x-functions-key` on the routes that need it in Azure (jobs, admin); uploads are anonymous.
 * A call the app (or Azure's front end) answers as busy or failing, or that gets no answer, is
 * tried again a few times, as the Azure SDK does its storage calls: a batch of thousands of
 * uploads should not end on one dropped connection.
 */
import type { JobView } from '../lib/jobs/job';
import type { ClassificationResult } from '../lib/results/result';
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

/** Statuses worth another try (0: no answer at all). */
const TRANSIENT = new Set([0, 408, 429, 500, 502, 503, 504]);
/** Waits before each retry, each taken at 0.5–1.5x so parallel uploads do not retry in step. */
const RETRY_DELAYS_MS = [500, 1500, 4000];

/** A failure that trying again later may cure (the app, its front end or storage busy or gone). */
export const isTransient = (err: unknown): boolean => err instanceof ApiError && TRANSIENT.has(err.status);

async function retrying<T>(attempt: () => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ApiError) || !TRANSIENT.has(err.status) || retry >= RETRY_DELAYS_MS.length)
        throw err;
      await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[retry] * (0.5 + Math.random())));
    }
  }
}

interface CallOptions {
  body?: unknown;
  /** Send `--key` (routes that need the function key in Azure); default true. */
  keyed?: boolean;
  /**
   * Try again on a transient failure; default for GET and DELETE only, since a POST whose
   * answer was lost may have been done (a second job would wait forever).
   */
  retry?: boolean;
}

const call = (options: ApiOptions, method: string, path: string, how: CallOptions = {}): Promise<Response> =>
  (how.retry ?? (method === 'GET' || method === 'DELETE'))
    ? retrying(() => callOnce(options, method, path, how))
    : callOnce(options, method, path, how);

async function callOnce(
  options: ApiOptions,
  method: string,
  path: string,
  { body, keyed = true }: CallOptions,
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
    throw new ApiError(0, 'unreachable', `Could not reach ${options.api}: ${causeOf(err)}.`);
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
  (await (await call(o, 'POST', '/api/jobs', { body: { upload: true, total, model } })).json()) as {
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
  // A retry after a lost answer leaves at most an unused ticket behind, which expires.
  return (await (
    await call(o, 'POST', '/api/uploads', { body, keyed: false, retry: true })
  ).json()) as UploadTicket;
}

/**
 * PUTs the bytes to the ticket's SAS URL. The SAS may create the blob only: a retry after a try
 * that got no answer is refused if that try did land, so such a refusal is `upload_unconfirmed`
 * (ask the app whether the upload arrived) rather than a failure.
 */
export async function putBlob(ticket: UploadTicket, bytes: Buffer): Promise<void> {
  let unanswered = false;
  try {
    await retrying(async () => {
      let response: Response;
      try {
        response = await fetch(ticket.uploadUrl, {
          method: 'PUT',
          headers: ticket.headers,
          body: new Uint8Array(bytes),
        });
      } catch (err) {
        unanswered = true;
        throw new ApiError(0, 'upload_failed', `PUT to the upload URL got no answer: ${causeOf(err)}.`);
      }
      await response.body?.cancel();
      if (!response.ok) {
        const code = response.headers.get('x-ms-error-code');
        throw new ApiError(
          response.status,
          'upload_failed',
          `PUT to the upload URL answered ${response.status}${code ? ` (${code})` : ''}.`,
        );
      }
    });
  } catch (err) {
    if (unanswered && err instanceof ApiError && (err.status === 403 || err.status === 409))
      throw new ApiError(err.status, 'upload_unconfirmed', err.message);
    throw err;
  }
}

/** One page of `GET /api/results?…` (a search; function key in Azure), retried like any GET. */
export const searchPage = async (
  o: ApiOptions,
  params: URLSearchParams,
): Promise<{ items: ClassificationResult[]; continuationToken?: string }> =>
  (await (await call(o, 'GET', `/api/results?${params.toString()}`)).json()) as {
    items: ClassificationResult[];
    continuationToken?: string;
  };

/** The status of an upload's result (`awaiting_upload` until its blob is seen). */
export const uploadStatus = async (o: ApiOptions, id: string): Promise<string> =>
  ((await (await call(o, 'GET', `/api/results/${id}`, { keyed: false })).json()) as { status: string })
    .status;

const causeOf = (err: unknown): string =>
  ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;

/** POST /api/admin/replay-poison: what was replayed, dropped or left (classify-poison, or events-poison). */
export const replayPoison = async (
  o: ApiOptions,
  options: { max?: number; queue?: 'classify' | 'events' } = {},
): Promise<unknown> => {
  const query = new URLSearchParams();
  if (options.max) query.set('max', String(options.max));
  if (options.queue === 'events') query.set('queue', 'events');
  const suffix = query.size > 0 ? `?${query.toString()}` : '';
  return (await (await call(o, 'POST', `/api/admin/replay-poison${suffix}`)).json()) as unknown;
};

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
