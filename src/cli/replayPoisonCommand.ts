/**
 * `classify replay-poison [--api URL] [--key KEY] [--max N]`: after a fix, asks a running app
 * (local or Azure) to move `classify-poison` messages back to `classify`, then prints the
 * failure report so the operator sees what is still failing. Talks to the admin HTTP routes,
 * not to storage, so it needs no storage credentials, only the function key in Azure.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './usageError';

export async function replayPoisonCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { api: { type: 'string' }, key: { type: 'string' }, max: { type: 'string' } },
  });
  const api = (values.api ?? 'http://localhost:7071').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(api)) throw new UsageError(`--api must be an http(s) URL, got "${api}".`);
  if (values.max !== undefined && !/^[1-9]\d*$/.test(values.max))
    throw new UsageError(`--max must be a positive whole number, got "${values.max}".`);
  // Azure Functions reads function keys from this header (authLevel "function").
  const headers: Record<string, string> = values.key ? { 'x-functions-key': values.key } : {};
  const query = values.max ? `?max=${values.max}` : '';
  const replay = await call(`${api}/api/admin/replay-poison${query}`, { method: 'POST', headers });
  const report = await call(`${api}/api/admin/failures?ids=20`, { headers });
  process.stdout.write(`${JSON.stringify({ replay, failures: report }, null, 2)}\n`);
  return 0;
}

async function call(url: string, init: RequestInit): Promise<unknown> {
  const res = await fetch(url, init);
  const body = (await res.json().catch(() => ({}))) as unknown;
  if (!res.ok) {
    const hint = res.status === 401 ? ' (give the function key with --key)' : '';
    throw new Error(
      `${init.method ?? 'GET'} ${new URL(url).pathname} answered ${res.status}${hint}: ${JSON.stringify(body)}`,
    );
  }
  return body;
}
