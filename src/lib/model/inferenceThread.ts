/**
 * Entry of the inference thread. onnxruntime-node's `session.run` executes synchronously on
 * the calling thread, so on the main thread every batch blocks the event loop: no download,
 * HTTP answer or decode hand-off happens meanwhile. Here it blocks only this thread.
 * Messages: { id, pixels, count } in; { id, probabilities } or { id, error } out (buffers
 * are transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OrtRunner } from './ortRunner';
import type {
  InferenceThreadData,
  InferenceRequest,
  InferenceReply,
  ThreadStatus,
} from './inferenceProtocol';

const data = workerData as InferenceThreadData;
const port = parentPort!;

let batches = 0;

OrtRunner.create(data.manifest, data.options).then(
  (runner) => {
    port.on('message', (request: InferenceRequest) => {
      runner.run(request.pixels, request.count).then(
        (probabilities) => {
          if (++batches === data.fault?.afterBatches) {
            // The fault hook: a thread that dies, or one stuck for good (Atomics.wait blocks it
            // as a hung native call would; only terminate() ends it).
            if (data.fault.kind === 'exit') process.exit(70);
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
          }
          const reply: InferenceReply = { id: request.id, probabilities };
          port.postMessage(reply, [probabilities.buffer as ArrayBuffer]);
        },
        (err: unknown) =>
          port.postMessage({ id: request.id, error: (err as Error).message } satisfies InferenceReply),
      );
    });
    port.postMessage({ ready: true, info: runner.info } satisfies ThreadStatus);
  },
  (err: unknown) => port.postMessage({ ready: false, error: (err as Error).message }),
);
