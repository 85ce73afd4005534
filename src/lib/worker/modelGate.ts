/**
 * Holds `classify` messages while the model cannot load (file missing, corrupt, download
 * down), instead of letting each one burn its 5 attempts and land in poison with a `failed`
 * result that was never the image's fault. A held message is sent again as a copy that stays
 * invisible for `MODEL_WAIT_SECONDS` (default 30) and the original completes normally, so its
 * dequeueCount never climbs. Once the model loads (file restored), messages go through again.
 */
import { sharedClassifier } from '../classify/classifier';
import { intFromEnv } from '../env';
import { enqueueClassify, type ClassifyMessage } from '../queue/classifyMessage';

export interface ModelGateOptions {
  /** How long a held message stays invisible (default MODEL_WAIT_SECONDS or 30 s). */
  delaySeconds?: number;
  /** Where the "model unavailable" line goes: at most once per `logIntervalMs` (default 60 s). */
  log?: (line: string) => void;
  logIntervalMs?: number;
}

export type GateOutcome = 'ready' | 'held';

/**
 * After a failed load, answer "not ready" for this long without trying again: loading hashes the
 * whole model file (or tries a download), which a burst of held messages must not repeat.
 */
const RECHECK_MS = 2000;

let failedAt = 0;
let failure = '';
let lastLogAt = 0;
let heldSinceLog = 0;

/** Whether the model loads now; after a failure, answers false for RECHECK_MS without trying. */
export async function modelReady(): Promise<boolean> {
  if (Date.now() - failedAt <= RECHECK_MS) return false;
  try {
    await sharedClassifier();
    failedAt = 0;
    return true;
  } catch (err) {
    failedAt = Date.now();
    failure = (err as Error).message;
    return false;
  }
}

export async function modelGate(
  message: ClassifyMessage,
  options: ModelGateOptions = {},
): Promise<GateOutcome> {
  if (await modelReady()) return 'ready';
  const delaySeconds = options.delaySeconds ?? waitSecondsFromEnv();
  await enqueueClassify(message, { delaySeconds });
  heldSinceLog++;
  if (Date.now() - lastLogAt >= (options.logIntervalMs ?? 60_000)) {
    options.log?.(
      `model unavailable, ${heldSinceLog} message(s) held for ${delaySeconds} s (not counted as attempts): ${failure}`,
    );
    lastLogAt = Date.now();
    heldSinceLog = 0;
  }
  return 'held';
}

// The queue service allows a visibility timeout of up to 7 days; 1 s at least, so a held message never spins.
const waitSecondsFromEnv = (): number => intFromEnv('MODEL_WAIT_SECONDS', 30, { max: 7 * 24 * 3600 });
