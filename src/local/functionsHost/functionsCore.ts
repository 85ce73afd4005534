/**
 * Provides the `@azure/functions-core` module to the function app, as the Node.js worker does.
 *
 * Mirrors azure-functions-nodejs-worker `src/setupCoreModule.ts` (the require interception and the
 * API object), `src/coreApi/registerFunction.ts` (registration is only allowed during startup) and
 * `src/hooks/registerHook.ts`. The worker proxies `Module.prototype.require`; we hook `Module._load`,
 * which every `require` ends in, so that function files loaded through `createRequire` see it too
 * (jest's own module registry does not go through `Module.prototype.require`).
 *
 * The library caches the core module and its programming model for the process's lifetime
 * (`tryGetCoreApiLazy`, `hasSetModel` in `src/app.ts`), so the API object is a process-wide
 * singleton; each `startHost` gets its own registry, filled while its entry files load.
 */
import nodeModule from 'module';
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  ProgrammingModel,
  RegisteredFunction,
} from './coreTypes';
import type { RpcLogCategory, RpcLogLevel } from './coreTypes';

/** Functions and hooks registered by one loaded app. */
export interface CoreRegistry {
  functions: Map<string, RegisteredFunction>;
  hooks: Map<string, HookCallback[]>;
  /** Shared by every hook of the app (the worker's `appHookData`). */
  appHookData: Record<string, unknown>;
  /** Sink for logs the library writes outside an invocation (`coreApi.log`). */
  systemLog: (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;
}

class Disposable {
  #callOnDispose: () => unknown;
  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }
  static from(...likes: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => likes.forEach((d) => d.dispose()));
  }
  dispose(): unknown {
    return this.#callOnDispose();
  }
}

let programmingModel: ProgrammingModel | undefined;
/** The registry that receives registrations: set while an app loads, kept for late hook calls. */
let active: CoreRegistry | undefined;
let loading = false;

const coreApi = {
  version: '3.10.1-local',
  hostVersion: '4.1000.0-local',
  Disposable,
  setProgrammingModel(model: ProgrammingModel): void {
    programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return programmingModel;
  },
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    const registry = requireLoading('A function can only be registered during app startup.');
    if (registry.functions.has(metadata.name)) {
      throw new Error(
        `A function named "${metadata.name}" is already registered; function names must be unique.`,
      );
    }
    registry.functions.set(metadata.name, { metadata, callback });
    return new Disposable(() => registry.functions.delete(metadata.name));
  },
  registerHook(hookName: string, callback: HookCallback): Disposable {
    const registry = active;
    if (!registry) throw new Error(`Cannot register a "${hookName}" hook: no function app is loaded.`);
    const list = registry.hooks.get(hookName) ?? [];
    list.push(callback);
    registry.hooks.set(hookName, list);
    return new Disposable(() => list.splice(list.indexOf(callback) >>> 0, 1));
  },
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
    active?.systemLog(level, category, message);
  },
};

function requireLoading(message: string): CoreRegistry {
  if (!loading || !active) throw new Error(message);
  return active;
}

/**
 * Node's own `module` builtin. Under jest, `require('module')` (and `process.getBuiltinModule`)
 * is jest's subclass of it whose `createRequire` loads through jest's registry, so the app would
 * never see our `_load` hook; its prototype is the real class. Under plain node it is the real one.
 */
export function realModule(): typeof nodeModule {
  const parent = Object.getPrototypeOf(nodeModule) as Partial<typeof nodeModule> | null;
  const isModuleClass = parent && typeof parent.createRequire === 'function' && '_load' in parent;
  return (isModuleClass ? parent : nodeModule) as typeof nodeModule;
}

let installed = false;

/** Makes `require('@azure/functions-core')` return the local core API. Idempotent. */
export function installCoreModule(): void {
  if (installed) return;
  installed = true;
  const moduleInternals = realModule() as unknown as {
    _load: (request: string, ...rest: unknown[]) => unknown;
  };
  const originalLoad = moduleInternals._load;
  moduleInternals._load = function (this: unknown, request: string, ...rest: unknown[]): unknown {
    if (request === '@azure/functions-core') return coreApi;
    return originalLoad.call(this, request, ...rest);
  };
}

/** Runs `load` with a fresh registry receiving the registrations; registration closes afterwards. */
export async function loadIntoRegistry(
  systemLog: CoreRegistry['systemLog'],
  load: () => Promise<void>,
): Promise<CoreRegistry> {
  installCoreModule();
  if (loading) throw new Error('Another function app is loading in this process; start hosts one at a time.');
  const registry: CoreRegistry = { functions: new Map(), hooks: new Map(), appHookData: {}, systemLog };
  active = registry;
  loading = true;
  try {
    await load();
  } finally {
    loading = false;
  }
  return registry;
}

/** The programming model the library set (`app.ts` does it on the first registration). */
export function getProgrammingModel(): ProgrammingModel {
  if (!programmingModel) {
    throw new Error(
      'No programming model was set: did the app load "@azure/functions" and register a function?',
    );
  }
  return programmingModel;
}

/**
 * Runs the `log` hooks over one log of an invocation, in registration order and synchronously
 * (a log call returns nothing to wait for). The context is what the library's LogHookContext
 * reads (hookData, level, category, message, invocationContext); a hook may change `level` and
 * `message`, and what it leaves is what is logged. `app.hook.log` needs host 4.34+, whose worker
 * runs these hooks; the Functions OpenTelemetry instrumentation sends the app's logs from one.
 */
export function executeLogHooks(
  registry: CoreRegistry,
  log: {
    hookData: object;
    level: RpcLogLevel;
    category: RpcLogCategory;
    message: string;
    invocationContext: unknown;
  },
): { level: RpcLogLevel; message: string } {
  const context = { appHookData: registry.appHookData, ...log };
  for (const callback of [...(registry.hooks.get('log') ?? [])]) {
    try {
      void callback(context);
    } catch {
      // As the worker: a failing log hook never breaks the log call (nor the function making it).
    }
  }
  // Only a user log may be changed by a hook; a system log is logged as it was.
  return log.category === 'user' ? context : log;
}

/** Runs the app's hooks of one kind in registration order, like the worker's `executeHooks`. */
export async function executeHooks(registry: CoreRegistry, hookName: string, context: object): Promise<void> {
  for (const callback of [...(registry.hooks.get(hookName) ?? [])]) {
    await callback(context as Record<string, unknown>);
  }
}
