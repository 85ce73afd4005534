/**
 * Serves HTTP-triggered functions: Node request -> RPC HttpData -> library -> RPC response -> Node.
 *
 * Mirrors what the Functions host sends a Node worker for an HTTP trigger (the `http` TypedData the
 * library reads in `src/http/HttpRequest.ts`: method, absolute url, headers, query, route params,
 * body bytes) and how it writes the `$return` http output back (`src/converters/toRpcHttp.ts`).
 * With HTTP streaming on (the app called `app.setup({ enableHttpStream: true })`, so the
 * worker's capabilities carry `HttpUri`), requests are forwarded to the worker's own HTTP
 * server instead, as the host's DefaultHttpProxyService does: see forwardToWorker below.
 * Like `func start`, authLevel is not enforced locally: function keys are an Azure-side check.
 * Unknown routes and unmatched methods answer 404, an unhandled handler error 500 with no body,
 * and bodies over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (default 100 MiB, the host's limit) 413.
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import type { RegisteredFunction, RpcHttpCookie, RpcHttpData, RpcInvocationResponse } from '../coreTypes';
import type { CoreRegistry } from '../functionsCore';
import { invokeFunction } from '../invoke';
import type { InflightTracker } from '../inflight';
import type { HostLogger } from '../log';
import { typedBytes, typedDataToBuffer, typedJson } from '../typedData';
import { compileRoute, matchRoute, type CompiledRoute } from './routes';
import { intFromEnv } from '../../../lib/env';

export interface HttpTriggerServerOptions {
  registry: CoreRegistry;
  /** HTTP-triggered functions with their trigger binding name. */
  functions: { fn: RegisteredFunction; triggerName: string }[];
  routePrefix: string;
  logger: HostLogger;
  inflight: InflightTracker;
  /** Largest accepted request body. Default: FUNCTIONS_REQUEST_BODY_SIZE_LIMIT or 100 MiB. */
  maxRequestBodyBytes?: number;
  /** host.json functionTimeout (undefined: none). */
  functionTimeoutMs?: number;
  /** The worker's `HttpUri` capability: HTTP streaming is on, requests are forwarded there. */
  httpUri?: string;
}

interface HttpRoute {
  fn: RegisteredFunction;
  triggerName: string;
  route: CompiledRoute;
  methods?: string[];
}

class BodyTooLargeError extends Error {}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        reject(new BodyTooLargeError());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function cookieHeader(c: RpcHttpCookie): string {
  const parts = [`${c.name ?? ''}=${c.value ?? ''}`];
  if (c.domain?.value) parts.push(`Domain=${c.domain.value}`);
  if (c.path?.value) parts.push(`Path=${c.path.value}`);
  if (c.expires?.value?.seconds)
    parts.push(`Expires=${new Date(c.expires.value.seconds * 1000).toUTCString()}`);
  if (c.maxAge?.value !== undefined && c.maxAge?.value !== null) parts.push(`Max-Age=${c.maxAge.value}`);
  if (c.secure?.value) parts.push('Secure');
  if (c.httpOnly?.value) parts.push('HttpOnly');
  if (c.sameSite && c.sameSite !== 'none')
    parts.push(`SameSite=${c.sameSite === 'explicitNone' ? 'None' : c.sameSite}`);
  return parts.join('; ');
}

function httpResponseOf(response: RpcInvocationResponse): RpcHttpData | undefined {
  return (
    response.returnValue?.http ?? response.outputData?.find((o) => o.data?.http)?.data?.http ?? undefined
  );
}

function writeResponse(res: http.ServerResponse, method: string, out: RpcHttpData | undefined): void {
  if (!out) return void res.writeHead(204).end();
  for (const [name, value] of Object.entries(out.headers ?? {})) res.setHeader(name, value);
  const cookies = (out.cookies ?? []).map(cookieHeader);
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const body = typedDataToBuffer(out.body);
  res.statusCode = Number(out.statusCode ?? 200);
  res.end(method === 'HEAD' ? undefined : body);
}

/**
 * Hop-by-hop headers (RFC 9110 7.6.1), which a proxy does not pass on, and Host, which YARP
 * sets to the destination's.
 */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function forwardedHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  );
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !NOT_FORWARDED.has(name) && !named.has(name)),
  );
}

interface Forwarding {
  /** Settles once the worker's response has been copied to the client. */
  done: Promise<void>;
  abort(): void;
}

/**
 * HTTP streaming, as azure-functions-host does it (DefaultHttpProxyService.StartForwarding, with
 * YARP's forwarder): the request is sent on as it arrives to the worker's HttpUri, same method,
 * path and query, its headers (less hop-by-hop ones) plus the invocation id in
 * `x-ms-invocation-id` and the X-Forwarded-For/-Proto/-Host headers (the library's
 * createStreamRequest rebuilds the URL from -Proto and -Host and refuses a request without
 * them); the worker's status, headers and body are copied back to the client as they come.
 * The body is counted on the way: past the limit the forwarding stops and the client gets 413.
 */
function forwardToWorker(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  httpUri: string,
  invocationId: string,
  limit: number,
): Forwarding {
  const target = new URL(req.url ?? '/', httpUri);
  const headers = {
    ...forwardedHeaders(req.headers),
    'x-ms-invocation-id': invocationId,
    'x-forwarded-for': req.socket.remoteAddress ?? '',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': req.headers.host ?? 'localhost',
  };
  const out = http.request(target, { method: req.method, headers });
  // The worker must see the request even when its body is refused: the invocation waits for it.
  out.flushHeaders();
  // A worker may answer before it has read the whole body (a refused Content-Length); the rest
  // is then read and dropped, as Kestrel drains it, so the client finishes sending and its
  // connection stays usable (past the limit the connection is closed instead).
  const drain = (): void => {
    req.unpipe(out);
    req.resume();
  };
  const done = new Promise<void>((resolve, reject) => {
    out.on('response', (proxied) => {
      res.writeHead(proxied.statusCode ?? 502, forwardedHeaders(proxied.headers));
      proxied.pipe(res);
      proxied.on('end', () => {
        drain();
        resolve();
      });
      proxied.on('error', reject);
    });
    out.on('error', (err) => {
      drain();
      reject(err);
    });
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit && !out.destroyed) {
        // As Kestrel past MaxRequestBodySize: 413 now; the worker sees its request cut short.
        req.unpipe(out);
        out.destroy(new BodyTooLargeError());
        if (!res.headersSent) res.writeHead(413, { connection: 'close' }).end();
        else req.socket.destroy();
      }
    });
    req.pipe(out);
  });
  return { done, abort: () => out.destroy() };
}

export function compileHttpRoutes(options: HttpTriggerServerOptions): HttpRoute[] {
  return options.functions
    .map(({ fn, triggerName }) => {
      const binding = fn.metadata.bindings[triggerName];
      const route = typeof binding.route === 'string' ? binding.route : fn.metadata.name;
      const methods = Array.isArray(binding.methods)
        ? binding.methods.map((m) => String(m).toUpperCase())
        : undefined;
      return { fn, triggerName, route: compileRoute(options.routePrefix, route), methods };
    })
    .sort((a, b) => b.route.precedence - a.route.precedence);
}

/** A request listener for `http.createServer`. */
export function createHttpTriggerListener(options: HttpTriggerServerOptions): http.RequestListener {
  const routes = compileHttpRoutes(options);
  const limit =
    options.maxRequestBodyBytes ?? intFromEnv('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT', 100 * 1024 * 1024);
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    let params: Record<string, string> | undefined;
    const hit = routes.find(
      (r) => (!r.methods || r.methods.includes(method)) && (params = matchRoute(r.route, url.pathname)),
    );
    if (!hit || !params) return void res.writeHead(404).end();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const query = Object.fromEntries(url.searchParams);
    const paramMetadata = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { string: v }]));
    const triggerMetadata = { ...paramMetadata, Query: typedJson(query), Headers: typedJson(headers) };
    if (options.httpUri) {
      // Kestrel refuses a declared length over MaxRequestBodySize at the first read, which
      // YARP makes at once: the client gets the host's empty 413 (the worker's answer is never
      // forwarded). Here the function is not invoked for it at all. The body is read up to the
      // limit first, as the buffered path does: closing under a client still sending its first
      // bytes makes it fail with EPIPE before it can read the 413.
      if (Number(req.headers['content-length'] ?? 0) > limit) {
        await readBody(req, limit);
        throw new BodyTooLargeError();
      }
      // Forwarding starts before the invocation, as GrpcWorkerChannel does; the invocation
      // carries an empty RpcHttp (GrpcMessageConversionExtensions.ToRpcHttp: EmptyRpcHttp).
      const invocationId = randomUUID();
      const forwarding = forwardToWorker(req, res, options.httpUri, invocationId, limit);
      // Handled below, once the invocation is over; meanwhile a rejection must not go unhandled.
      forwarding.done.catch(() => undefined);
      const outcome = await invokeFunction(
        options.registry,
        hit.fn,
        { inputData: [{ name: hit.triggerName, data: { http: {} } }], triggerMetadata },
        options.logger,
        { timeoutMs: options.functionTimeoutMs, invocationId },
      );
      if (!outcome.ok) {
        forwarding.abort();
        if (!res.headersSent) return void res.writeHead(500).end();
        return void res.destroy();
      }
      return forwarding.done;
    }
    const body = await readBody(req, limit);
    const rpcHttp: RpcHttpData = {
      method,
      url: url.toString(),
      headers,
      query,
      params,
      body: typedBytes(body),
    };
    const outcome = await invokeFunction(
      options.registry,
      hit.fn,
      { inputData: [{ name: hit.triggerName, data: { http: rpcHttp } }], triggerMetadata },
      options.logger,
      { timeoutMs: options.functionTimeoutMs },
    );
    if (!outcome.ok) return void res.writeHead(500).end();
    writeResponse(res, method, httpResponseOf(outcome.response));
  };
  return (req, res) => {
    void options.inflight.track(
      handle(req, res).catch((err: unknown) => {
        if (!res.headersSent)
          res.writeHead(err instanceof BodyTooLargeError ? 413 : 500, { connection: 'close' });
        res.end();
        if (!(err instanceof BodyTooLargeError))
          options.logger.error('The local host failed to answer a request.', err);
      }),
    );
  };
}
