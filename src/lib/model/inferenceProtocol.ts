/** Messages between ModelSession and its inference thread. */
import type { ModelManifest } from './manifest';
import type { OrtRunnerOptions, RunnerInfo } from './ortRunner';

export interface InferenceThreadData {
  manifest: Pick<ModelManifest, 'id' | 'input' | 'output' | 'preprocessing'> & { classes: number };
  options: OrtRunnerOptions;
  /**
   * FAULT HOOK (tests only, INFERENCE_FAULTS=exit-after:N or hang-after:N): the first thread
   * exits before its Nth batch's answer, or hangs in it as a stuck native call would.
   */
  fault?: { kind: 'exit' | 'hang'; afterBatches: number };
}

export interface InferenceRequest {
  id: number;
  pixels: Uint8Array;
  count: number;
}

export interface InferenceReply {
  id: number;
  probabilities?: Float32Array;
  error?: string;
}

export type ThreadStatus = { ready: true; info: RunnerInfo } | { ready: false; error: string };
