/**
 * The local host's console output: one line per invocation plus the handlers' `context.log` lines.
 *
 * The line format follows the Functions host's console logger as seen in `func start`
 * ("Executing 'Functions.x' ...", "Executed 'Functions.x' (Succeeded, Id=..., Duration=12ms)"),
 * so people reading local output recognise it.
 */
import type { RpcLogLevel } from './coreTypes';

export type HostLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface HostLoggerOptions {
  /** Lowest level printed; tests use 'silent' or 'error'. Default 'info'. */
  level?: HostLogLevel;
  /** Where lines go. Default: process.stdout, like `func start`. */
  write?: (line: string) => void;
}

export interface HostLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
  /** A log written by a handler (`context.log`, `context.warn`...) or by the library. */
  fromFunction(functionName: string, level: RpcLogLevel, message: string): void;
}

const rank: Record<HostLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

function toHostLevel(level: RpcLogLevel): HostLogLevel {
  switch (level) {
    case 'trace':
    case 'debug':
      return 'debug';
    case 'warning':
      return 'warn';
    case 'error':
    case 'critical':
      return 'error';
    case 'none':
      return 'silent';
    default:
      return 'info';
  }
}

/** Formats an unknown thrown value with its stack when it has one. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

export function createHostLogger(options: HostLoggerOptions = {}): HostLogger {
  const threshold = rank[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => void process.stdout.write(line + '\n'));
  const emit = (level: HostLogLevel, message: string): void => {
    if (level !== 'silent' && rank[level] >= threshold) {
      write(`[${new Date().toISOString()}] ${message}`);
    }
  };
  return {
    debug: (message) => emit('debug', message),
    info: (message) => emit('info', message),
    warn: (message) => emit('warn', message),
    error: (message, err) => emit('error', err === undefined ? message : `${message}\n${describeError(err)}`),
    fromFunction: (functionName, level, message) => emit(toHostLevel(level), `[${functionName}] ${message}`),
  };
}
