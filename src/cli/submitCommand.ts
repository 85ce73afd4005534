/**
 * `classify submit <dir> [--api URL] [--key KEY] [--out FILE] [--model ID]`: uploads a folder to a running
 * app as one bulk job, shows one progress bar, and writes the results (JSON lines, or CSV /
 * a JSON array by the --out extension). A rerun skips files whose content already has a result.
 * Exit 0 when every image succeeded, 1 when any failed, 2 on a usage error.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseApi } from './apiClient';
import { parseModelId } from '../lib/model/manifest';
import { expandInputs } from './inputs';
import { defaultStateFile, runSubmit } from './submit/runSubmit';
import { UsageError } from './usageError';

/** A bad flag value is a usage error (exit 2), whoever checked it. */
function asUsage<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export async function submitCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      key: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npx classify submit <dir> [--api URL] [--key KEY] [--out FILE] [--model ID]\n',
    );
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('Give exactly one directory to submit.');
  const dir = positionals[0];
  if (!(await stat(dir).catch(() => undefined))?.isDirectory())
    throw new UsageError(`Not a directory: ${dir}`);
  const api = parseApi(values.api);
  const model = asUsage(() => parseModelId(values.model, '--model'));
  const stateFile = defaultStateFile(values.out, dir, api, model);
  // An output file kept inside the folder is not an input of the next run.
  const own = new Set([stateFile, values.out].filter((f) => f !== undefined).map((f) => path.resolve(f)));
  const summary = await runSubmit({
    api,
    key: values.key,
    files: (await expandInputs([dir])).filter((f) => !own.has(path.resolve(f))),
    out: values.out,
    stateFile,
    model,
  });
  process.stderr.write(
    `${summary.succeeded} succeeded, ${summary.failed} failed of ${summary.total} ` +
      `(${summary.uploaded} uploaded, ${summary.skipped} already done)` +
      `${summary.jobId ? ` in job ${summary.jobId}` : ''}; results in ${summary.out}\n`,
  );
  return summary.failed > 0 ? 1 : 0;
}
