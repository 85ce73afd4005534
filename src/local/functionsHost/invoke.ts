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
import { executeHooks, getProgrammingModel, type CoreRegistry } from './functionsCore';
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

async function runPipeline(registry: CoreRegistry, fn: RegisteredFunction, coreCtx: CoreInvocationContext) {
  const model = await getProgrammingModel().getInvocationModel(coreCtx);
  const { context, inputs } = await model.getArguments();
  const hookData = {};
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

/** Invokes a registered function with an RPC request and logs one line with its outcome. */
export async function invokeFunction(
  registry: CoreRegistry,
  fn: RegisteredFunction,
  init: InvocationRequestInit,
  logger: HostLogger,
): Promise<InvocationOutcome> {
  const invocationId = randomUUID();
  const name = fn.metadata.name;
  const coreCtx: CoreInvocationContext = {
    invocationId,
    request: { ...init, invocationId, functionId: fn.metadata.functionId ?? name },
    metadata: toRpcMetadata(fn),
    log: (level, category, message) =>
      category === 'system'
        ? logger.debug(`[${name}] ${message}`)
        : logger.fromFunction(name, level, message),
  };
  const started = Date.now();
  logger.info(`Executing 'Functions.${name}' (Id=${invocationId})`);
  try {
    const response = await runPipeline(registry, fn, coreCtx);
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
