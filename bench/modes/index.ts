/** Every benchmark mode by name, in the order `npm run bench` runs them. */
import type { ModeReport } from '../stats';
import { batchingMode } from './batching';
import { naiveMode, pipelineMode, seedMode } from './classifierModes';
import { coldStartMode, hostColdStartMode } from './coldStart';
import { exportStreamMode } from './exportStream';
import { int8Mode } from './int8';
import { jobsMode } from './jobs';
import { modelsBudgetMode, modelsMode } from './models';
import { pageMode } from './page';
import { queueLatencyMode, queuePathMode } from './queuePath';
import { searchMode } from './search';
import { storageRequestsMode } from './storageRequests';
import { syncClassifyMode } from './syncClassify';
import { telemetryMode } from './telemetry';

export const MODES: Record<string, () => Promise<ModeReport | ModeReport[]>> = {
  seed: seedMode,
  naive: naiveMode,
  pipeline: pipelineMode,
  int8: int8Mode,
  batching: batchingMode,
  coldStart: coldStartMode,
  hostColdStart: hostColdStartMode,
  queueLatency: queueLatencyMode,
  queuePath: queuePathMode,
  syncClassify: syncClassifyMode,
  jobs: jobsMode,
  requests: storageRequestsMode,
  models: modelsMode,
  modelsBudget: modelsBudgetMode,
  exportStream: exportStreamMode,
  search: searchMode,
  telemetry: telemetryMode,
  page: pageMode,
};
