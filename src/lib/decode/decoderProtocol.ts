/** Messages between DecoderProcess and its child process (decoderChild.ts). */
import type { ErrorCode } from '../errors';
import type { DecodedImage, DecodeOptions } from './decodeImage';

export interface DecodeRequest {
  id: number;
  bytes: Uint8Array;
  options: DecodeOptions;
}

export interface DecodeReply {
  id: number;
  decoded?: Omit<DecodedImage, 'pixels'> & { pixels: Uint8Array };
  error?: { code: ErrorCode; message: string; retryable: boolean };
}

/** The child's first message, once sharp is loaded. */
export interface DecoderStatus {
  ready: true;
}

/**
 * FAULT HOOK (tests only, DECODE_FAULTS=hang-after:N or exit-after:N): the first child process
 * hangs in its Nth decode as a stuck native call would (nothing but a kill ends it), or exits.
 */
export interface DecoderFault {
  kind: 'hang' | 'exit';
  afterDecodes: number;
}
