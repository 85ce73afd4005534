/** Messages between DecoderProcess and its child process (decoderChild.ts). */
import type { ErrorCode } from '../errors';
import type { DecodedImage, DecodeOptions } from './decodeImage';

export interface DecodeRequest {
  id: number;
  bytes: Buffer;
  options: DecodeOptions;
}

export interface DecodeReply {
  id: number;
  /** With serialization 'advanced' a Buffer arrives as a Buffer. */
  decoded?: DecodedImage;
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
