/**
 * Int8 models that give the same answer on every x64 CPU. A quantized model whose activations
 * are uint8 and whose weights are int8 (u8s8, what ONNX Runtime's quantizer writes by default)
 * runs on x64 CPUs without VNNI through `vpmaddubsw`, which adds pairs of u8×s8 products into
 * a saturating int16: the sums clip and the answers change (the default model lost 4–7 points
 * of top-1 on AMD EPYC). With VNNI (`vpdpbusd`) the same model is exact. Weights in uint8 form
 * are multiplied in 16-bit lanes added into 32 bits on every x64 CPU, so they never clip, and
 * an int8 weight w with zero point z is exactly the uint8 weight w+128 with zero point z+128.
 *
 * This module finds the int8 weights of the quantized operators (QLinearConv, QLinearMatMul,
 * ConvInteger, MatMulInteger) whose activations are uint8, and rewrites those tensors, and only
 * those, into uint8 form in the model's protobuf bytes; every other byte is copied as it is.
 * What it cannot rewrite (weights stored outside the file, computed, shared with another use,
 * quantize-dequantize graphs) is reported, so the loader can warn where it would clip.
 */
import { readFileSync } from 'node:fs';

/** ONNX TensorProto.DataType values used here. */
const UINT8 = 2;
const INT8 = 3;

/** The operators whose weights feed an integer matrix product, and where their inputs are. */
const QUANTIZED_PRODUCTS: Record<string, { x: number; xZero?: number; w: number; wZero?: number }> = {
  QLinearConv: { x: 0, xZero: 2, w: 3, wZero: 5 },
  QLinearMatMul: { x: 0, xZero: 2, w: 3, wZero: 5 },
  ConvInteger: { x: 0, xZero: 2, w: 1, wZero: 3 },
  MatMulInteger: { x: 0, xZero: 2, w: 1, wZero: 3 },
};

/** What the model's int8 weights are, and what the rewrite did with them. */
export interface Int8WeightForm {
  /** u8s8 weight tensors (int8 weights of uint8 activations) that would saturate without VNNI. */
  u8s8: string[];
  /** Of those, the ones the rewrite put in uint8 form (none when nothing was rewritten). */
  rewritten: string[];
  /** Int8 weights that stay as they are: why each could not be rewritten. */
  kept: { tensor: string; reason: string }[];
}

/**
 * The model's bytes with every u8s8 weight it can rewrite in uint8 form, and the report.
 * The numbers the model computes are unchanged; only how a CPU without VNNI computes them is.
 */
export function toUint8Weights(
  model: Uint8Array,
  { apply = true }: { apply?: boolean } = {},
): { bytes: Uint8Array; form: Int8WeightForm } {
  const top = fields(model);
  const graphField = top.find((f) => f.no === 7 && f.wire === 2);
  const form: Int8WeightForm = { u8s8: [], rewritten: [], kept: [] };
  if (!graphField) return { bytes: model, form };
  const graph = fields(graphField.value);
  const tensors = new Map<string, Tensor>();
  for (const f of graph)
    if (f.no === 5 && f.wire === 2) {
      const t = readTensor(f.value);
      tensors.set(t.name, t);
    }
  const nodes = graph.filter((f) => f.no === 1 && f.wire === 2).map((f) => readNode(f.value));
  const uint8Outputs = new Set(
    nodes.filter((n) => n.opType === 'DynamicQuantizeLinear').map((n) => n.outputs[0]),
  );
  // The u8s8 products that can clip: a uint8 activation (its zero point a uint8 constant, or
  // straight from DynamicQuantizeLinear) times an int8 constant weight with a value outside
  // [-64, 64] (within it, two products add up to at most 255·64·2 = 32640, which int16 holds:
  // ONNX Runtime's own Avx2WeightS8ToU8Transformer leaves such weights alone for that reason).
  const u8s8 = nodes.filter((node) => {
    const roles = QUANTIZED_PRODUCTS[node.opType];
    if (!roles || !isOnnxDomain(node.domain)) return false;
    const weight = tensors.get(node.inputs[roles.w]);
    // A computed weight is not known without running the graph.
    if (weight?.dataType !== INT8 || weight.small) return false;
    const xZero = node.inputs[roles.xZero ?? -1];
    return xZero ? tensors.get(xZero)?.dataType === UINT8 : uint8Outputs.has(node.inputs[roles.x]);
  });
  // A tensor is rewritten only when every use of it is as the weight (or the weight's zero
  // point) of a u8s8 product, so no other reader sees it change.
  const usedOnlyAs = (name: string, role: 'w' | 'wZero'): boolean =>
    nodes.every(
      (node) =>
        !node.inputs.includes(name) ||
        (u8s8.includes(node) &&
          node.inputs.every((input, i) => input !== name || QUANTIZED_PRODUCTS[node.opType][role] === i)),
    );
  const toRewrite = new Set<string>();
  for (const node of u8s8) {
    const roles = QUANTIZED_PRODUCTS[node.opType];
    const w = node.inputs[roles.w];
    if (form.u8s8.includes(w)) continue;
    form.u8s8.push(w);
    const zName = node.inputs[roles.wZero ?? -1] ?? '';
    const zero = tensors.get(zName);
    const keep = (reason: string): number => form.kept.push({ tensor: w, reason });
    if (tensors.get(w)!.external) keep('its data is stored outside the model file');
    else if (!zName) keep('it has no zero point tensor (the uint8 form needs one of 128)');
    else if (!zero || zero.dataType !== INT8 || zero.external) keep('its zero point is not an int8 constant');
    else if (!usedOnlyAs(w, 'w') || !usedOnlyAs(zName, 'wZero')) keep('the tensor is also used elsewhere');
    else {
      toRewrite.add(w);
      toRewrite.add(zName);
    }
  }
  // A zero point shared with a weight that stays int8 must stay too, and then so must the
  // weights that share it: drop such pairs until every product is wholly one form or the other.
  for (let changed = true; changed;) {
    changed = false;
    for (const node of u8s8) {
      const roles = QUANTIZED_PRODUCTS[node.opType];
      const [w, z] = [node.inputs[roles.w], node.inputs[roles.wZero ?? -1] ?? ''];
      if (toRewrite.has(w) !== toRewrite.has(z)) {
        toRewrite.delete(w);
        toRewrite.delete(z);
        form.kept.push({ tensor: w, reason: 'its zero point is shared with a weight that stays int8' });
        changed = true;
      }
    }
  }
  if (!apply || toRewrite.size === 0) return { bytes: model, form };
  form.rewritten = form.u8s8.filter((w) => toRewrite.has(w));

  const newGraph = graph.map((f) => {
    if (f.no !== 5 || f.wire !== 2) return f;
    const t = readTensor(f.value);
    return toRewrite.has(t.name) ? { ...f, value: shiftTensor(f.value) } : f;
  });
  const newTop = top.map((f) => (f === graphField ? { ...f, value: encode(newGraph) } : f));
  return { bytes: encode(newTop), form };
}

/** The report alone, nothing rewritten: the form a session of these bytes runs. */
export const int8WeightForm = (model: Uint8Array): Int8WeightForm =>
  toUint8Weights(model, { apply: false }).form;

/**
 * How a manifest asks its int8 weights to run (`int8`):
 * - `u8-weights` (default): int8 weights of uint8 activations are run in uint8 form on CPUs
 *   without VNNI, exact at int8 speed; on VNNI CPUs the published form is already exact.
 * - `exact-kernels`: ONNX Runtime's `session.x64quantprecision`, exact for any form the
 *   rewrite cannot reach, and slower.
 * - `as-published`: the file as it is; on CPUs without VNNI its u8s8 products may clip.
 */
export type Int8Mode = 'u8-weights' | 'exact-kernels' | 'as-published';
export const INT8_MODES: readonly Int8Mode[] = ['u8-weights', 'exact-kernels', 'as-published'];

/**
 * How the answer was computed, stamped on every result as `model.computation` and part of the
 * content index's key: `exact` is the model's own int8 (or float) arithmetic, the same on every
 * CPU; `saturating` means some u8s8 products were added in clipping 16-bit sums on this CPU.
 */
export type Computation = 'exact' | 'saturating';

export interface SessionPlan {
  /** What the session loads: the model's bytes (rewritten or as read). */
  model: Uint8Array;
  /** Session config entries to add (`session.*`). */
  sessionConfig: Record<string, string>;
  computation: Computation;
  form: Int8WeightForm;
  /** Said once at load when the answer may clip on this CPU, with what to do about it. */
  warning?: string;
}

/** Decides how one model runs on this CPU, rewriting its weights where that makes it exact. */
export function planSession(
  model: Uint8Array,
  { mode, u8s8Exact, name }: { mode: Int8Mode; u8s8Exact: boolean; name: string },
): SessionPlan {
  const rewrite = mode === 'u8-weights' && !u8s8Exact;
  const { bytes, form } = rewrite ? toUint8Weights(model) : { bytes: model, form: int8WeightForm(model) };
  const sessionConfig: Record<string, string> = mode === 'exact-kernels' ? { x64quantprecision: '1' } : {};
  const clipping = form.u8s8.filter((w) => !form.rewritten.includes(w));
  if (u8s8Exact || mode === 'exact-kernels' || clipping.length === 0)
    return { model: bytes, sessionConfig, computation: 'exact', form };
  const why =
    mode === 'as-published'
      ? 'its manifest says "int8": "as-published"'
      : `they cannot be rewritten into uint8 form (${form.kept[0].tensor}: ${form.kept[0].reason})`;
  return {
    model: bytes,
    sessionConfig,
    computation: 'saturating',
    form,
    warning:
      `Model "${name}": ${clipping.length} int8 weight tensor(s) of uint8 activations run as published on ` +
      `this CPU without VNNI because ${why}, so their sums may clip and answers differ from other CPUs. ` +
      'Set "int8": "u8-weights" (the default) or "exact-kernels" (exact, slower) in its manifest.',
  };
}

/**
 * Whether this CPU computes u8s8 products exactly: VNNI (AVX512-VNNI or AVX-VNNI) adds them in
 * 32 bits, and arm64's dot-product kernels widen too. Unknown x64 CPUs (no /proc/cpuinfo) are
 * taken to clip, the safe assumption.
 */
export function u8s8IsExact(cpuinfo: string | undefined = readCpuinfo(), arch = process.arch): boolean {
  if (arch !== 'x64' && arch !== 'ia32') return true;
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo ?? '')?.[1].split(/\s+/) ?? [];
  return flags.includes('avx512_vnni') || flags.includes('avx_vnni') || flags.includes('amx_int8');
}

function readCpuinfo(): string | undefined {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
}

const isOnnxDomain = (domain: string): boolean => domain === '' || domain === 'ai.onnx';

// --- The few parts of the protobuf wire format needed here --------------------------------

interface Field {
  no: number;
  wire: number;
  /** The field's payload: a varint's bytes, a fixed 4 or 8 bytes, or a length-delimited body. */
  value: Uint8Array;
}

function readVarint(buf: Uint8Array, at: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < buf.length; i++) {
    value |= BigInt(buf[i] & 0x7f) << shift;
    if ((buf[i] & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  throw new Error('The model file is not a valid ONNX protobuf (a number runs past its end).');
}

function writeVarint(value: bigint, out: number[]): void {
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

/** The fields of one message, in order; payloads are views into `buf`. */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < buf.length) {
    const key = readVarint(buf, at);
    const no = Number(key.value >> 3n);
    const wire = Number(key.value & 7n);
    at = key.next;
    let end: number;
    if (wire === 0) end = readVarint(buf, at).next;
    else if (wire === 1) end = at + 8;
    else if (wire === 5) end = at + 4;
    else if (wire === 2) {
      const len = readVarint(buf, at);
      at = len.next;
      end = at + Number(len.value);
    } else throw new Error(`The model file is not a valid ONNX protobuf (wire type ${wire}).`);
    if (end > buf.length) throw new Error('The model file is not a valid ONNX protobuf (truncated).');
    out.push({ no, wire, value: buf.subarray(at, end) });
    at = end;
  }
  return out;
}

function encode(message: Field[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const f of message) {
    const head: number[] = [];
    writeVarint(BigInt((f.no << 3) | f.wire), head);
    if (f.wire === 2) writeVarint(BigInt(f.value.length), head);
    parts.push(Uint8Array.from(head), f.value);
    size += head.length + f.value.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const varintOf = (bytes: Uint8Array): bigint => readVarint(bytes, 0).value;

interface Node {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
}

function readNode(buf: Uint8Array): Node {
  const node: Node = { opType: '', domain: '', inputs: [], outputs: [] };
  for (const f of fields(buf)) {
    if (f.no === 1) node.inputs.push(text(f.value));
    else if (f.no === 2) node.outputs.push(text(f.value));
    else if (f.no === 4) node.opType = text(f.value);
    else if (f.no === 7) node.domain = text(f.value);
  }
  return node;
}

interface Tensor {
  name: string;
  dataType: number;
  /** data_location EXTERNAL: the values live in another file. */
  external: boolean;
  /** Every value within [-64, 64] (int8 data held in the file only). */
  small: boolean;
}

function readTensor(buf: Uint8Array): Tensor {
  const t: Tensor = { name: '', dataType: 0, external: false, small: false };
  for (const f of fields(buf)) {
    if (f.no === 8) t.name = text(f.value);
    else if (f.no === 2) t.dataType = Number(varintOf(f.value));
    else if (f.no === 14) t.external = varintOf(f.value) === 1n;
  }
  if (t.dataType === INT8 && !t.external) t.small = int8ValuesWithin64(buf);
  return t;
}

/** Whether an int8 tensor's values (raw_data bytes or int32_data varints) all lie in [-64, 64]; stops at the first that does not. */
function int8ValuesWithin64(tensor: Uint8Array): boolean {
  for (const f of fields(tensor)) {
    if (f.no === 9) {
      const values = new Int8Array(f.value.buffer, f.value.byteOffset, f.value.length);
      for (let i = 0; i < values.length; i++) if (values[i] > 64 || values[i] < -64) return false;
    } else if (f.no === 5) {
      const values = f.wire === 0 ? [f.value] : unpackVarints(f.value);
      if (values.some((v) => Math.abs(Number(BigInt.asIntN(32, varintOf(v)))) > 64)) return false;
    }
  }
  return true;
}

/**
 * An int8 TensorProto as uint8 with every value plus 128: data_type 3 -> 2; raw_data bytes
 * flip their top bit (two's complement v is the byte v+128 with bit 7 inverted); int32_data
 * (int8 values as int32 varints, packed or not) gets 128 added to each value.
 */
function shiftTensor(buf: Uint8Array): Uint8Array {
  const out = fields(buf).map((f): Field => {
    if (f.no === 2 && f.wire === 0) return { ...f, value: Uint8Array.of(UINT8) };
    if (f.no === 9 && f.wire === 2) return { ...f, value: flipTopBits(f.value) };
    if (f.no === 5 && f.wire === 0) return { ...f, value: shiftedVarints([f.value]) };
    if (f.no === 5 && f.wire === 2) return { ...f, value: shiftedVarints(unpackVarints(f.value)) };
    return f;
  });
  return encode(out);
}

function flipTopBits(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] ^ 0x80;
  return out;
}

function unpackVarints(packed: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < packed.length;) {
    const next = readVarint(packed, at).next;
    out.push(packed.subarray(at, next));
    at = next;
  }
  return out;
}

function shiftedVarints(values: Uint8Array[]): Uint8Array {
  const out: number[] = [];
  for (const v of values) writeVarint(BigInt.asIntN(32, varintOf(v)) + 128n, out);
  return Uint8Array.from(out);
}
