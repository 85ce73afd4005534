/**
 * Runs one invocation through the library's own invocation path, as the worker does.
 *
 * Mirrors azure-functions-nodejs-worker `src/eventHandlers/InvocationHandler.ts`: build a
 * CoreInvocationContext from the RPC InvocationRequest, ask the programming model for an
 * InvocationModel, then getArguments -> preInvocation hooks -> invokeFunction -> postInvocation
 * hooks -> getResponse. A thrown handler error is the invocation's failure, as in Azure.
 */
import { randomUUID } from 'crypto';
import type {
  CoreInvocationContext,
  RegisteredFunction,
  RpcBindingInfo,
  RpcInvocationRequest,
} from './coreTypes';
import type { RpcInvocationResponse } from './coreTypes';
import { executeHooks, executeLogHooks, getProgrammingModel, type CoreRegistry } from './functionsCore';
import type { HostLogger } from './log';

export type InvocationRequestInit = Pick<
  RpcInvocationRequest,
  'inputData' | 'triggerMetadata' | 'retryContext'
>;

export type InvocationOutcome =
  | { ok: true; invocationId: string; response: RpcInvocationResponse }
  | { ok: false; invocationId: string; error: unknown };

/**
 * The worker receives bindings over gRPC as BindingInfo {type, direction, dataType, properties}
 * (`fromCoreFunctionMetadata.ts`); trigger options such as `route` only travel in `rawBindings`.
 * Stripping them keeps `context.options` identical to Azure's.
 */
function toRpcMetadata(fn: RegisteredFunction): CoreInvocationContext['metadata'] {
  const bindings: Record<string, RpcBindingInfo> = {};
  for (const [name, b] of Object.entries(fn.metadata.bindings)) {
    bindings[name] = {
      type: b.type,
      direction: b.direction,
      dataType: b.dataType ?? 'undefined',
      properties: b.properties,
    };
  }
  const rawBindings = Object.entries(fn.metadata.bindings).map(([name, b]) => JSON.stringify({ ...b, name }));
  return {
    ...fn.metadata,
    functionId: fn.metadata.functionId ?? fn.metadata.name,
    bindings,
    rawBindings,
    scriptFile: 'n/a',
  };
}

function hookContext<T extends object>(hookData: object, appHookData: object, extra: T): T {
  return Object.assign({ hookData, appHookData }, extra);
}

async function runPipeline(
  registry: CoreRegistry,
  fn: RegisteredFunction,
  coreCtx: CoreInvocationContext,
  invocation: { hookData: object; context?: unknown },
) {
  const model = await getProgrammingModel().getInvocationModel(coreCtx);
  const { context, inputs } = await model.getArguments();
  invocation.context = context;
  const { hookData } = invocation;
  const pre = hookContext(hookData, registry.appHookData, {
    invocationContext: context,
    inputs,
    functionCallback: fn.callback,
  });
  coreCtx.state = 'preInvocationHooks';
  await executeHooks(registry, 'preInvocation', pre);
  const post: { invocationContext: unknown; inputs: unknown[]; result: unknown; error: unknown } =
    hookContext(hookData, registry.appHookData, {
      invocationContext: context,
      inputs: pre.inputs,
      result: null,
      error: null,
    });
  coreCtx.state = 'invocation';
  try {
    post.result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
  } catch (err) {
    post.error = err;
  }
  coreCtx.state = 'postInvocationHooks';
  await executeHooks(registry, 'postInvocation', post);
  coreCtx.state = undefined;
  // The worker rethrows whatever the handler threw (`isError` check in InvocationHandler.ts).
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  if (post.error) throw post.error;
  return model.getResponse(context, post.result);
}

/** A .NET TimeSpan as TimeSpan.ToString() writes it: "00:05:00", "1.00:00:00", "00:00:00.5000000". */
export function formatTimeSpan(ms: number): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(ms / 86_400_000);
  const time = `${two(Math.floor(ms / 3_600_000) % 24)}:${two(Math.floor(ms / 60_000) % 60)}:${two(Math.floor(ms / 1000) % 60)}`;
  const fraction = ms % 1000 ? `.${String((ms % 1000) * 10_000).padStart(7, '0')}` : '';
  return `${days ? `${days}.` : ''}${time}${fraction}`;
}

export interface InvokeOptions {
  /** host.json functionTimeout: past it the invocation fails, as the host fails it. */
  timeoutMs?: number;
  /** The invocation id, when the caller needs it first (HTTP streaming forwards the request with it). */
  invocationId?: string;
}

/**
 * Past functionTimeout the host logs and fails the invocation with the WebJobs SDK's messages
 * (FunctionExecutor.OnFunctionTimeout, then FunctionTimeoutException), so a queue message is
 * abandoned and retried, then restarts the language worker (WebScriptHostExceptionHandler).
 * The local host runs the app in its own process and cannot restart it: it says so, and the
 * timed-out work may still finish in the background.
 */
function withTimeout<T>(work: Promise<T>, timeoutMs: number | undefined, onTimeout: () => Error): Promise<T> {
  if (!timeoutMs) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Invokes a registered function with an RPC request and logs one line with its outcome. */
export async function invokeFunction(
  registry: CoreRegistry,
  fn: RegisteredFunction,
  init: InvocationRequestInit,
  logger: HostLogger,
  options: InvokeOptions = {},
): Promise<InvocationOutcome> {
  const invocationId = options.invocationId ?? randomUUID();
  const name = fn.metadata.name;
  const invocation: { hookData: object; context?: unknown } = { hookData: {} };
  const coreCtx: CoreInvocationContext = {
    invocationId,
    request: { ...init, invocationId, functionId: fn.metadata.functionId ?? name },
    metadata: toRpcMetadata(fn),
    log: (level, category, message) => {
      const logged = executeLogHooks(registry, {
        hookData: invocation.hookData,
        level,
        category,
        message,
        invocationContext: invocation.context,
      });
      if (category === 'system') logger.debug(`[${name}] ${logged.message}`);
      else logger.fromFunction(name, logged.level, logged.message);
    },
  };
  const started = Date.now();
  logger.info(`Executing 'Functions.${name}' (Id=${invocationId})`);
  try {
    const response = await withTimeout(
      runPipeline(registry, fn, coreCtx, invocation),
      options.timeoutMs,
      () => {
        const span = formatTimeSpan(options.timeoutMs!);
        logger.error(
          `Timeout value of ${span} exceeded by function 'Functions.${name}' (Id: '${invocationId}'). Initiating cancellation.`,
        );
        setTimeout(
          () =>
            logger.warn(
              `A function timeout has occurred. Restarting worker process executing invocationId '${invocationId}'. ` +
                '(Locally the app shares the host process and is not restarted; the timed-out work may still run.)',
            ),
          0,
        ).unref();
        return new Error(`Timeout value of ${span} was exceeded by function: Functions.${name}.`);
      },
    );
    logger.info(
      `Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`,
    );
    return { ok: true, invocationId, response };
  } catch (error) {
    logger.error(
      `Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms)`,
      error,
    );
    return { ok: false, invocationId, error };
  }
}
