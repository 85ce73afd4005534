/**
 * Builders for the RPC `TypedData` values the host sends to the worker, and the reverse for the
 * values the library returns (`toRpcTypedData.ts` / `toRpcHttp.ts` in azure-functions-nodejs-library).
 * The library turns `string` into a JSON-parsed value when it parses (`fromRpcTypedData.ts`,
 * `tryJsonParse`), which is why a JSON queue message reaches the handler as an object, as in Azure.
 */
import type { RpcTypedData } from './coreTypes';

export const typedString = (value: string): RpcTypedData => ({ string: value });
export const typedJson = (value: unknown): RpcTypedData => ({ json: JSON.stringify(value) });
export const typedBytes = (value: Uint8Array): RpcTypedData => ({ bytes: value });
export const typedInt = (value: number): RpcTypedData => ({ int: value });

/** Binary payload (blob content, message bytes) as the binding's `dataType` asks: string or bytes. */
export function typedPayload(value: Buffer, dataType: unknown): RpcTypedData {
  return dataType === 'string' ? typedString(value.toString('utf8')) : typedBytes(value);
}

/** Bytes of a value the library returned (an HTTP body, an output binding value). */
export function typedDataToBuffer(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (typeof data.string === 'string') return Buffer.from(data.string, 'utf8');
  if (typeof data.json === 'string') return Buffer.from(data.json, 'utf8');
  if (typeof data.int === 'number') return Buffer.from(String(data.int), 'utf8');
  if (typeof data.double === 'number') return Buffer.from(String(data.double), 'utf8');
  return Buffer.alloc(0);
}
