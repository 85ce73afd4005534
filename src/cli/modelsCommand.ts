/**
 * `classify models [--json]`: the model manifests this machine knows (models/ and
 * CLASSIFIER_MODELS_DIR), the default first, with what each expects and whether its file is
 * here already (else the first use downloads it).
 */
import { parseArgs } from 'node:util';
import { Models } from '../lib/classify/models';

export function modelsCommand(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write('Usage: npx classify models [--json]\n');
    return 0;
  }
  const models = new Models().list();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
    return 0;
  }
  const rows = models.map((m) => [
    `${m.id}${m.default ? ' (default)' : ''}`,
    String(m.labels),
    `${m.input.width}x${m.input.height} ${m.input.layout}`,
    m.output,
    m.available ? 'yes' : 'downloads on first use',
    m.sha256.slice(0, 12),
  ]);
  const header = ['model', 'labels', 'input', 'output', 'file here', 'sha256'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows])
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd()}\n`,
    );
  return 0;
}
