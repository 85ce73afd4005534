/**
 * Holds `classify` messages while the model cannot load (file missing, corrupt, download
 * down), instead of letting each one burn its 5 attempts and land in poison with a `failed`
 * result that was never the image's fault. A held message is sent again as a copy that stays
 * invisible for `MODEL_WAIT_SECONDS` (default 30) and the original completes normally, so its
 * dequeueCount never climbs. Once the model loads (file restored), messages go through again.
 */
import type { Models } from '../classify/models';
import { intFromEnv } from '../env';
import { enqueueClassify, type ClassifyMessage } from '../queue/classifyMessage';
import type { StorageClients } from '../storage/clients';

export interface ModelGateOptions {
  /** How long a held message stays invisible (default MODEL_WAIT_SECONDS or 30 s). */
  delaySeconds?: number;
  /** Where the "model unavailable" line goes: at most once per `logIntervalMs` (default 60 s). */
  log?: (line: string) => void;
  logIntervalMs?: number;
}

export type GateOutcome = 'ready' | 'held';

/** What the gate works with (services.ts builds the gate, so these are not named through `Services`). */
export interface ModelGateDeps {
  /** The `classify` queue, where a held message waits. */
  readonly storage: StorageClients;
  readonly models: Models;
}

export class ModelGate {
  private lastLogAt = 0;
  private heldSinceLog = 0;

  constructor(private readonly deps: ModelGateDeps) {}

  async admit(message: ClassifyMessage, options: ModelGateOptions = {}): Promise<GateOutcome> {
    const { models, storage } = this.deps;
    // An id no manifest has (removed, renamed): no wait helps; the worker fails the images as bad_request.
    if (message.model !== undefined && !models.has(message.model)) return 'ready';
    if (await models.ready(message.model)) return 'ready';
    const delaySeconds = options.delaySeconds ?? waitSecondsFromEnv();
    await enqueueClassify(storage, message, { delaySeconds });
    this.heldSinceLog++;
    if (Date.now() - this.lastLogAt >= (options.logIntervalMs ?? 60_000)) {
      options.log?.(
        `model unavailable, ${this.heldSinceLog} message(s) held for ${delaySeconds} s (not counted as attempts): ${models.lastFailure(message.model)}`,
      );
      this.lastLogAt = Date.now();
      this.heldSinceLog = 0;
    }
    return 'held';
  }
}

// The queue service allows a visibility timeout of up to 7 days; 1 s at least, so a held message never spins.
const waitSecondsFromEnv = (): number => intFromEnv('MODEL_WAIT_SECONDS', 30, { max: 7 * 24 * 3600 });
