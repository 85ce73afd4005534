/** Every benchmark mode by name, in the order `npm run bench` runs them. */
import type { ModeReport } from '../stats';
import { naiveMode, pipelineMode, seedMode } from './classifierModes';
import { coldStartMode } from './coldStart';
import { queueLatencyMode, queuePathMode } from './queuePath';
import { syncClassifyMode } from './syncClassify';

export const MODES: Record<string, () => Promise<ModeReport>> = {
  seed: seedMode,
  naive: naiveMode,
  pipeline: pipelineMode,
  coldStart: coldStartMode,
  queueLatency: queueLatencyMode,
  queuePath: queuePathMode,
  syncClassify: syncClassifyMode,
};
