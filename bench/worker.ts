/** Runs one benchmark mode in this (fresh) process and prints its report(s) as the last line. */
import { MODES } from './modes';

const name = process.argv[2];
const mode = MODES[name];
if (!mode) {
  process.stderr.write(`Unknown mode "${name}"; known: ${Object.keys(MODES).join(', ')}\n`);
  process.exit(2);
}
mode().then(
  (report) => {
    process.stdout.write(`\n${JSON.stringify(report)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
