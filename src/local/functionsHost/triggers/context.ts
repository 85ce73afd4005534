/** What every trigger listener needs from the running host. */
import type { RegisteredFunction } from '../coreTypes';
import type { CoreRegistry } from '../functionsCore';
import type { HostConfig } from '../hostConfig';
import type { InflightTracker } from '../inflight';
import type { HostLogger } from '../log';
import type { HostStorageClients } from '../storage';

export interface TriggerContext {
  registry: CoreRegistry;
  config: HostConfig;
  logger: HostLogger;
  inflight: InflightTracker;
  signal: AbortSignal;
  /** Undefined when no storage connection was given: storage triggers then cannot start. */
  storage?: HostStorageClients;
  /** The storage connection string (the Event Grid stand-in's lister thread builds its own clients from it). */
  connectionString?: string;
  /** Identifies this host's state in storage (blob receipts, the internal blob-trigger queue). */
  hostId: string;
  /** Queue lease while a message runs; tests shorten it. */
  leaseMs?: number;
  /** How long the Event Grid stand-in waits for an answer (default Event Grid's 30 s); tests shorten it. */
  eventGridAnswerLimitMs?: number;
}

export interface BoundFunction {
  fn: RegisteredFunction;
  triggerName: string;
}

export function requireStorage(ctx: TriggerContext, what: string): NonNullable<TriggerContext['storage']> {
  if (!ctx.storage) {
    throw new Error(`${what} needs a storage connection: set AzureWebJobsStorage or pass connectionString.`);
  }
  return ctx.storage;
}
