/**
 * Loads the app's entry files (package.json `main`, a glob) so their `app.*` calls register.
 *
 * Mirrors azure-functions-nodejs-worker `src/startApp.ts` (`loadEntryPointFile`: `main` is
 * matched with globby 11, the worker's own glob library, relative to the app root; each match
 * is loaded in the order globby returns, then the `appStart` hooks run), so a `main` such as
 * the quickstarts' `dist/src/{index.js,functions/*.js}` loads here as it does in Azure. Only
 * CommonJS entry files are supported (the project compiles to it).
 */
import { readFile } from 'fs/promises';
import globby from 'globby';
import * as path from 'path';
import {
  executeHooks,
  getProgrammingModel,
  loadIntoRegistry,
  realModule,
  type CoreRegistry,
} from './functionsCore';
import type { HostLogger } from './log';

export interface LoadAppOptions {
  appRoot: string;
  logger: HostLogger;
}

/**
 * What the Node worker tells the host it can do before asking the programming model
 * (azure-functions-nodejs-worker `src/eventHandlers/getWorkerCapabilities.ts`).
 */
const WORKER_CAPABILITIES: Record<string, string> = {
  RawHttpBodyBytes: 'true',
  RpcHttpTriggerMetadataRemoved: 'true',
  RpcHttpBodyOnly: 'true',
  IgnoreEmptyValuedRpcHttpHeaders: 'true',
  UseNullableValueDictionaryForHttp: 'true',
  WorkerStatus: 'true',
  TypedDataCollection: 'true',
  HandlesWorkerTerminateMessage: 'true',
};

export interface LoadedApp {
  registry: CoreRegistry;
  /** The worker's capabilities as the programming model extended them (`HttpUri` when HTTP streaming is on). */
  capabilities: Record<string, string>;
}

/**
 * Loads the entry files into a fresh registry, runs the app's `appStart` hooks, then asks the
 * programming model for its capabilities, in the worker's order (WorkerInitHandler: startApp,
 * then getWorkerCapabilities). The library locks `app.setup` there and, with HTTP streaming
 * on, starts the proxy server the host forwards HTTP requests to.
 */
export async function loadApp({ appRoot, logger }: LoadAppOptions): Promise<LoadedApp> {
  const packageJson = JSON.parse(await readFile(path.join(appRoot, 'package.json'), 'utf8')) as {
    main?: unknown;
  };
  const main = typeof packageJson.main === 'string' ? packageJson.main : 'index.js';
  const files = (await globby(main, { cwd: appRoot })).map((f) => path.join(appRoot, f));
  if (files.length === 0) {
    throw new Error(
      `Found no files matching package.json "main" ("${main}") under ${appRoot}; build the app first.`,
    );
  }
  const systemLog: CoreRegistry['systemLog'] = (level, _category, message) =>
    level === 'error' || level === 'warning' ? logger.warn(message) : logger.debug(message);
  const registry = await loadIntoRegistry(systemLog, async () => {
    const requireFromApp = realModule().createRequire(path.join(appRoot, 'package.json'));
    for (const file of files) {
      // A second host in the same process must see the files register again.
      delete requireFromApp.cache[file];
      logger.debug(`Loading entry point file "${path.relative(appRoot, file)}"`);
      requireFromApp(file);
    }
  });
  await executeHooks(registry, 'appStart', {
    hookData: {},
    appHookData: registry.appHookData,
    functionAppDirectory: appRoot,
  });
  const model = getProgrammingModel();
  const capabilities = model.getCapabilities
    ? await model.getCapabilities({ ...WORKER_CAPABILITIES })
    : { ...WORKER_CAPABILITIES };
  return { registry, capabilities };
}
