/**
 * Entry of the decoder process. A libvips call that never returns cannot be ended from
 * JavaScript (it runs on libuv's thread pool, which every thread of a process shares), so the
 * decodes run here, in a process of their own that DecoderProcess can kill. Messages:
 * { id, bytes, options } in; { id, decoded } or { id, error } out.
 */
import { ClassifierError } from '../errors';
import { decodeImage } from './decodeImage';
import type { DecodeReply, DecodeRequest, DecoderFault, DecoderStatus } from './decoderProtocol';

const fault = process.argv[2] ? (JSON.parse(process.argv[2]) as DecoderFault) : undefined;
let decodes = 0;

// With a callback a failed send (the parent gone) is not an 'error' event; 'disconnect' ends this process then.
const send = (message: DecodeReply | DecoderStatus): void =>
  void process.send!(message, undefined, {}, () => undefined);

process.on('message', (request: DecodeRequest) => {
  if (++decodes === fault?.afterDecodes) {
    if (fault.kind === 'exit') process.exit(70);
    // Blocks the whole process as a hung loader would: only a kill ends it.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
  decodeImage(request.bytes, request.options).then(
    (decoded) => send({ id: request.id, decoded }),
    (err: unknown) => {
      const e =
        err instanceof ClassifierError
          ? err
          : new ClassifierError('internal_error', `Decoding failed: ${(err as Error).message}`, {
              retryable: true,
            });
      send({ id: request.id, error: { code: e.code, message: e.message, retryable: e.retryable } });
    },
  );
});
// The parent going away (a crash, a kill) must not leave this process behind. Not process.exit:
// it waits for libuv's pool threads, and a stuck libvips call holds one for ever.
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
// Ctrl-C in a terminal reaches the whole process group: the parent decides when this one ends
// (npm start drains its invocations first).
process.on('SIGINT', () => undefined);
send({ ready: true });
