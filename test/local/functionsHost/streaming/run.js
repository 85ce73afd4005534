// Starts the local host over this fixture in its own process: the library's setup (HTTP
// streaming on) is process-wide, and must not reach the other host tests' fixture.
const path = require('node:path');
const { startHost } = require(path.join(process.env.PROJECT_ROOT, 'dist/src/local/functionsHost/host.js'));

startHost({
  appRoot: __dirname,
  port: 0,
  logLevel: 'error',
  maxRequestBodyBytes: Number(process.env.LIMIT ?? 1000),
}).then(
  (host) => process.stdout.write(`${JSON.stringify({ url: host.url })}\n`),
  (err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
