// @swc/jest transpiles TypeScript without type-checking (tsc runs in `npm test` before jest),
// which keeps the suite's start-up short.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: '<rootDir>/test/support/environment.js',
  globalSetup: '<rootDir>/test/support/globalSetup.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The page's modules (web/js, plain ES modules for the browser) too, for their unit tests.
  transform: { '^.+\\.ts$': ['@swc/jest'], '/web/js/.+\\.js$': ['@swc/jest'] },
  testTimeout: 60000,
  maxWorkers: 1,
};
