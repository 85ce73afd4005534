/**
 * Storage requests counted from Azurite's `--debug` log, which has one
 * `<Service>StorageContextMiddleware: RequestMethod=... RequestURL=... RequestHeaders:{...}` line
 * per request. Each request is put down to its caller by the User-Agent prefix the project's
 * clients send (src/lib/storage/clients.ts): the app, the Functions host stand-in's own work
 * (queue polling), the Event Grid stand-in (its listing, which Event Grid replaces in Azure),
 * the bench driving it, or a plain client such as a browser's PUT.
 */
import { readFileSync, statSync } from 'node:fs';

export type Caller = 'app' | 'functions-host' | 'eventgrid-standin' | 'bench' | 'client';
export type Service = 'blob' | 'queue' | 'table';

export interface CountedRequest {
  caller: Caller;
  service: Service;
  operation: string;
}

const LINE =
  /(Blob|Queue|Table)StorageContextMiddleware: RequestMethod=(\w+) RequestURL=(\S+) RequestHeaders:(\{.*\})/;

function callerOf(userAgent: string): Caller {
  if (userAgent.startsWith('image-classifier')) return 'app';
  if (userAgent.startsWith('functions-host')) return 'functions-host';
  if (userAgent.startsWith('eventgrid-standin')) return 'eventgrid-standin';
  if (userAgent.startsWith('bench')) return 'bench';
  return 'client';
}

/** The REST operation's name, from method and URL (docs' names: Get Blob, Put Message, ...). */
export function operationOf(service: Service, method: string, url: URL): string {
  const q = url.searchParams;
  const path = decodeURIComponent(url.pathname).split('/').filter(Boolean).slice(1); // less the account
  if (service === 'blob') {
    if (q.get('restype') === 'container')
      return q.get('comp') === 'list' ? 'List Blobs' : `${method} Container`;
    if (q.get('comp') === 'block') return 'Put Block';
    if (q.get('comp') === 'blocklist') return 'Put Block List';
    if (q.get('comp')) return `${method} Blob ${q.get('comp')}`;
    return (
      { GET: 'Get Blob', HEAD: 'Get Blob Properties', PUT: 'Put Blob', DELETE: 'Delete Blob' }[method] ??
      method
    );
  }
  if (service === 'queue') {
    if (path.length === 1) return `${method} Queue${q.get('comp') ? ` ${q.get('comp')}` : ''}`;
    // The events outbox's requests are named apart: what events out costs per image.
    const of = path[0]?.startsWith('events') ? ` (${path[0]})` : '';
    if (path.length === 2)
      return (
        ({ POST: 'Put Message', GET: q.get('peekonly') ? 'Peek Messages' : 'Get Messages' }[method] ??
          method) + of
      );
    return ({ DELETE: 'Delete Message', PUT: 'Update Message' }[method] ?? method) + of;
  }
  if (path[0] === '$batch') return 'Entity Group Transaction';
  if (path[0] === 'Tables') return `${method} Table`;
  const entity = /\(PartitionKey=/.test(path[0] ?? '');
  if (method === 'GET') return entity ? 'Query Entity' : 'Query Entities';
  return (
    { POST: 'Insert Entity', PUT: 'Update Entity', MERGE: 'Merge Entity', DELETE: 'Delete Entity' }[method] ??
    method
  );
}

export function parseRequests(text: string): CountedRequest[] {
  const requests: CountedRequest[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const service = m[1].toLowerCase() as Service;
    let userAgent = '';
    try {
      const agent = (JSON.parse(m[4]) as Record<string, unknown>)['user-agent'];
      userAgent = typeof agent === 'string' ? agent : '';
    } catch {
      // headers cut short: leave the caller unknown
    }
    requests.push({
      caller: callerOf(userAgent),
      service,
      operation: operationOf(service, m[2], new URL(m[3])),
    });
  }
  return requests;
}

/** Marks a point in the log; `since()` returns the requests logged after it. */
export function logMark(file: string): { since(): CountedRequest[] } {
  const start = statSync(file).size;
  return {
    since() {
      const all = readFileSync(file);
      return parseRequests(all.subarray(start).toString('utf8'));
    },
  };
}

/** Requests per image by caller, service and operation, for the report. */
export function tally(requests: CountedRequest[], images: number) {
  const byCaller = new Map<
    Caller,
    { total: number; byService: Map<Service, number>; byOperation: Map<string, number> }
  >();
  for (const r of requests) {
    const c = byCaller.get(r.caller) ?? { total: 0, byService: new Map(), byOperation: new Map() };
    c.total++;
    c.byService.set(r.service, (c.byService.get(r.service) ?? 0) + 1);
    const op = `${r.service}: ${r.operation}`;
    c.byOperation.set(op, (c.byOperation.get(op) ?? 0) + 1);
    byCaller.set(r.caller, c);
  }
  const per = (n: number) => Math.round((n / images) * 100) / 100;
  return { byCaller, per };
}
