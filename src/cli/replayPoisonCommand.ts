/**
 * `classify replay-poison [--api URL] [--key KEY] [--max N] [--events]`: after a fix, asks a
 * running app (local or Azure) to move `classify-poison` messages back to `classify` (with
 * `--events`, the undelivered events on `events-poison` back to `events`), then prints the
 * failure report so the operator sees what is still failing. Talks to the admin HTTP routes,
 * not to storage, so it needs no storage credentials, only the function key in Azure.
 */
import { parseArgs } from 'node:util';
import { parseNumber } from '../lib/numbers';
import { failureReport, parseApi, replayPoison } from './apiClient';
import { UsageError } from './usageError';

export async function replayPoisonCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      api: { type: 'string' },
      key: { type: 'string' },
      max: { type: 'string' },
      events: { type: 'boolean' },
    },
  });
  const api = { api: parseApi(values.api), key: values.key };
  // The app checks the upper bound (and says it); the CLI does not load the storage code for it.
  const max =
    values.max === undefined
      ? undefined
      : parseNumber(values.max, '--max', { min: 1 }, (message) => new UsageError(message));
  const replay = await replayPoison(api, { max, queue: values.events ? 'events' : 'classify' });
  const failures = await failureReport(api, 20);
  process.stdout.write(`${JSON.stringify({ replay, failures }, null, 2)}\n`);
  return 0;
}
