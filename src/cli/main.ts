/**
 * Entry of the `classify` command: parses arguments (node's util.parseArgs: strict, no
 * dependency needed) and dispatches to a sub-command. Exit codes: 0 all succeeded, 1 some
 * image failed, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { ClassifierError } from '../lib/errors';
import { ApiError } from './apiClient';
import { loadManifest } from '../lib/model/manifest';
import { parseNumber } from '../lib/numbers';
import { classifyCommand } from './classifyCommand';
import { modelsCommand } from './modelsCommand';
import { replayPoisonCommand } from './replayPoisonCommand';
import { SEARCH_USAGE, searchCommand } from './searchCommand';
import { submitCommand } from './submitCommand';
import type { OutputFormat } from './output';
import { UsageError } from './usageError';

const HELP = `Usage:
  npx classify <file|dir>... [--top N] [--json | --jsonl | --csv] [--out FILE] [--model ID|PATH]
  npx classify submit <dir> [--api URL] [--key KEY] [--out FILE] [--model ID]
  npx classify models [--json]
  ${SEARCH_USAGE}
  npx classify replay-poison [--api URL] [--key KEY] [--max N] [--events]

Classifies images in-process with an ONNX model (directories are walked recursively).

Options:
  --top N          predictions per image (1-1000, default 5)
  --json           one JSON array of result objects
  --jsonl          one JSON result object per line
  --csv            CSV: file,name,status,label,score,errorCode,predictions
  --out FILE       write results to FILE instead of standard output
  --model ID|PATH  model manifest id (see "npx classify models") or path (default:
                   $CLASSIFIER_MODEL or mobilenetv2-12-int8)
  -h, --help       show this help

Exit status: 0 when every image succeeded, 1 when any failed, 2 on a usage error.
Environment: MODEL_CACHE_DIR (where model files are kept), CLASSIFIER_MODELS_DIR (more
folders of manifests), CLASSIFIER_MAX_BYTES, CLASSIFIER_MAX_PIXELS.
`;

export async function main(argv: string[]): Promise<number> {
  try {
    if (argv[0] === 'submit') {
      return await submitCommand(argv.slice(1));
    }
    if (argv[0] === 'replay-poison') return await replayPoisonCommand(argv.slice(1));
    if (argv[0] === 'search') return await searchCommand(argv.slice(1));
    if (argv[0] === 'models') return modelsCommand(argv.slice(1));
    return await runClassify(argv);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`classify: ${(err as Error).message}\nRun "npx classify --help" for usage.\n`);
      return 2;
    }
    const expected = err instanceof ClassifierError || err instanceof ApiError;
    const message = expected ? err.message : ((err as Error).stack ?? String(err));
    process.stderr.write(`classify: ${message}\n`);
    return 1;
  }
}

async function runClassify(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      top: { type: 'string' },
      json: { type: 'boolean' },
      jsonl: { type: 'boolean' },
      csv: { type: 'boolean' },
      out: { type: 'string' },
      model: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('Give at least one file or directory to classify.');
  const formats = (['json', 'jsonl', 'csv'] as const).filter((f) => values[f]);
  if (formats.length > 1)
    throw new UsageError(`Choose one output format, not ${formats.map((f) => `--${f}`).join(' and ')}.`);
  const format: OutputFormat = formats[0] ?? 'table';
  if (values.model) checkModel(values.model);
  return classifyCommand({
    paths: positionals,
    top: parseTop(values.top),
    format,
    out: values.out,
    model: values.model,
  });
}

/** An unknown --model is a usage error (exit 2), not a failed run. */
function checkModel(model: string): void {
  try {
    loadManifest(model);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function parseTop(raw: string | undefined): number {
  if (raw === undefined) return 5;
  return parseNumber(raw, '--top', { min: 1, max: 1000 }, (message) => new UsageError(message));
}
