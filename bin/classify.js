#!/usr/bin/env node
// The `classify` command. The TypeScript sources are compiled to dist/ by `npm install`
// (the "prepare" script) or `npm run build`.
'use strict';
let main;
try {
  ({ main } = require('../dist/src/cli/main.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    process.stderr.write(
      'classify: the project is not built yet; run "npm install" or "npm run build" first.\n',
    );
    process.exit(2);
  }
  throw err;
}
// `npx classify dir | head` closes the pipe early: stop quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
