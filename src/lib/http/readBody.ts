/**
 * Reads a request body into one Buffer without ever holding more than the limit: the declared
 * Content-Length is checked before reading, then the stream is read chunk by chunk, since a
 * client may omit the length or send more than it said. Past the limit the rest is read and
 * dropped (never kept) before the 413: with HTTP streaming the body comes over the host's
 * connection to the worker, and a body abandoned half read, or cancelled, leaves that pooled
 * connection unusable or loses the answer (the host caps what a client may send in all).
 */
import { ClassifierError } from '../errors';
import type { HttpInput } from './httpTypes';

export interface ReadBodyOptions {
  maxBytes: number;
  /** What the limit applies to, for the 413 message ("the image", "the JSON body"). */
  what: string;
  abortSignal?: AbortSignal;
}

/** The whole body (empty when there is none); `file_too_large` past `maxBytes`. */
export async function readBody(
  request: Pick<HttpInput, 'headers' | 'body'>,
  options: ReadBodyOptions,
): Promise<Buffer> {
  const { maxBytes, what } = options;
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(what, maxBytes, `Content-Length says ${declared}`);
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const cancel = (): void => void reader.cancel().catch(() => undefined);
  options.abortSignal?.addEventListener('abort', cancel, { once: true });
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || !value) break;
      received += value.byteLength;
      if (received > maxBytes) {
        for (let rest = await reader.read(); !rest.done; rest = await reader.read());
        throw tooLarge(what, maxBytes, 'more was sent');
      }
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  } finally {
    options.abortSignal?.removeEventListener('abort', cancel);
  }
  return Buffer.concat(chunks, received);
}

function tooLarge(what: string, maxBytes: number, detail: string): ClassifierError {
  return new ClassifierError(
    'file_too_large',
    `Expected ${what} to be at most ${maxBytes} bytes but ${detail}; send a smaller one.`,
  );
}
