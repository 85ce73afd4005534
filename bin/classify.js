#!/usr/bin/env node
// The `classify` command. It runs the compiled dist/; `npm install` compiles nothing (.npmrc
// turns install scripts off), so the first run, and any run after the sources changed, builds
// it first, as `npm run build` does.
'use strict';
const { spawnSync } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const ENTRY = path.join(ROOT, 'dist/src/cli/main.js');

const mtime = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
};

/** The newest modification time of the files under `dir` (a few hundred stats: about a millisecond). */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      latest = Math.max(latest, mtime(path.join(entry.parentPath ?? entry.path, entry.name)));
  }
  return latest;
}

function ensureBuilt() {
  const built = mtime(ENTRY);
  const sources =
    mtime(path.join(ROOT, 'src')) &&
    Math.max(newest(path.join(ROOT, 'src')), mtime(path.join(ROOT, 'tsconfig.json')));
  if (built >= sources) return;
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  } catch {
    if (built) return; // a production install without TypeScript: run what is there
    process.stderr.write(
      'classify: the project is not built and TypeScript is missing; run "npm install" first.\n',
    );
    process.exit(2);
  }
  process.stderr.write(
    `classify: ${built ? 'the sources changed' : 'first run'}; building (npm run build)...\n`,
  );
  const run = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.json')], {
    stdio: ['ignore', 2, 2], // stdout may be the results
  });
  if (run.status !== 0) {
    process.stderr.write(
      'classify: the build failed (above); fix it, or run "npm run build" to see it again.\n',
    );
    process.exit(2);
  }
}

ensureBuilt();
const { main } = require(ENTRY);
// `npx classify dir | head` closes the pipe early: stop quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
