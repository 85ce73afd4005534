/**
 * The uint8-weight rewrite, on small real ONNX models whose exact answer is known (an integer
 * matrix product, MatMulInteger, whose int32 output is the accumulator itself) and on the
 * default model. Each model is run by the real ONNX Runtime: on a CPU without VNNI the
 * published u8s8 form clips (checked where it does), the rewritten form never does, and the
 * form a session runs is checked on every CPU, since on a VNNI CPU the numbers cannot tell.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { int8WeightForm, planSession, toUint8Weights, u8s8IsExact } from '../../../src/lib/model/int8Weights';
import { SHARED } from '../../support/images';

const { DataType } = onnx.TensorProto;
const K = 4;
const N = 3;

interface Spec {
  /** B, K x N row-major, int8 values. */
  weights: number[];
  /** Store B and its zero point as int32_data varints instead of raw_data. */
  asInt32Data?: boolean;
  /** Also read B as a graph output through Identity (a second use the rewrite must not change). */
  sharedWeight?: boolean;
}

/** y[int32, 1 x N] = (a[uint8, 1 x K] - 0) · (B[int8] - 0): MatMulInteger, the bare u8s8 product. */
function matMulIntegerModel({ weights, asInt32Data, sharedWeight }: Spec): Uint8Array {
  const int8 = (name: string, dims: number[], values: number[]): onnx.ITensorProto =>
    asInt32Data
      ? { name, dims, dataType: DataType.INT8, int32Data: values }
      : { name, dims, dataType: DataType.INT8, rawData: Uint8Array.from(values, (v) => v & 0xff) };
  const valueInfo = (name: string, elemType: number, dims: number[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'u8s8',
      node: [
        { opType: 'MatMulInteger', input: ['a', 'B', 'a_zero', 'B_zero'], output: ['y'] },
        ...(sharedWeight ? [{ opType: 'Identity', input: ['B'], output: ['B_out'] }] : []),
      ],
      initializer: [
        int8('B', [K, N], weights),
        int8('B_zero', [], [0]),
        { name: 'a_zero', dims: [], dataType: DataType.UINT8, rawData: Uint8Array.of(0) },
      ],
      input: [valueInfo('a', DataType.UINT8, [1, K])],
      output: [
        valueInfo('y', DataType.INT32, [1, N]),
        ...(sharedWeight ? [valueInfo('B_out', DataType.INT8, [K, N])] : []),
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

async function run(model: Uint8Array, a: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(model);
  const out = await session.run({ a: new ort.Tensor('uint8', Uint8Array.from(a), [1, K]) });
  return Array.from(out.y.data as Int32Array);
}

const exactProduct = (a: number[], w: number[]): number[] =>
  Array.from({ length: N }, (_, n) => a.reduce((sum, ak, k) => sum + ak * w[k * N + n], 0));

// Column 0 clips in 16-bit pairs (255·127 + 255·127 = 64770), column 1 the other way, column 2 not.
const CLIPPING = [127, -128, 1, 127, -128, 2, 127, -128, 3, 127, -128, 4];
const A = [255, 255, 255, 255];
const cpuExact = u8s8IsExact();

describe('int8 weights in uint8 form', () => {
  it.each([
    ['raw_data', false],
    ['int32_data', true],
  ])('computes the exact integer product on this CPU (weights in %s)', async (_, asInt32Data) => {
    const published = matMulIntegerModel({ weights: CLIPPING, asInt32Data });
    const { bytes, form } = toUint8Weights(published);
    expect(form).toEqual({ u8s8: ['B'], rewritten: ['B'], kept: [] });
    expect(int8WeightForm(bytes).u8s8).toEqual([]); // nothing left in the saturating form
    const exact = exactProduct(A, CLIPPING);
    expect(exact).toEqual([129540, -130560, 2550]);
    expect(await run(bytes, A)).toEqual(exact);
    // The published form: exact only where this CPU has VNNI. Where it clips, this proves the
    // test's model can tell the two forms apart.
    const asPublished = await run(published, A);
    if (cpuExact) expect(asPublished).toEqual(exact);
    else expect(asPublished).not.toEqual(exact);
  });

  it('leaves weights that cannot clip (all within [-64, 64]) as they are', () => {
    const small = matMulIntegerModel({ weights: CLIPPING.map((w) => Math.max(-64, Math.min(64, w))) });
    const { bytes, form } = toUint8Weights(small);
    expect(form.u8s8).toEqual([]);
    expect(bytes).toBe(small);
  });

  it('keeps a weight another node reads, and says so at load where it would clip', async () => {
    const shared = matMulIntegerModel({ weights: CLIPPING, sharedWeight: true });
    const { bytes, form } = toUint8Weights(shared);
    expect(form.rewritten).toEqual([]);
    expect(form.kept).toEqual([{ tensor: 'B', reason: 'the tensor is also used elsewhere' }]);
    expect(bytes).toBe(shared);
    const plan = planSession(shared, { mode: 'u8-weights', u8s8Exact: false, name: 'shared' });
    expect(plan.computation).toBe('saturating');
    expect(plan.warning).toMatch(/"shared".*B: the tensor is also used elsewhere.*"exact-kernels"/);
    // ONNX Runtime's own exact kernels are the way out for such a model, and they are exact.
    const session = await ort.InferenceSession.create(shared, {
      graphOptimizationLevel: 'all',
      extra: {
        session: planSession(shared, { mode: 'exact-kernels', u8s8Exact: false, name: 's' }).sessionConfig,
      },
    });
    const out = await session.run({ a: new ort.Tensor('uint8', Uint8Array.from(A), [1, K]) });
    expect(Array.from(out.y.data as Int32Array)).toEqual(exactProduct(A, CLIPPING));
  });

  it('plans by mode and CPU: rewritten without VNNI, as published with it, a warning when left to clip', () => {
    const model = matMulIntegerModel({ weights: CLIPPING });
    const noVnni = planSession(model, { mode: 'u8-weights', u8s8Exact: false, name: 'm' });
    expect([noVnni.computation, noVnni.form.rewritten, noVnni.warning]).toEqual(['exact', ['B'], undefined]);
    const vnni = planSession(model, { mode: 'u8-weights', u8s8Exact: true, name: 'm' });
    expect([vnni.computation, vnni.model, vnni.form.rewritten]).toEqual(['exact', model, []]);
    const asPublished = planSession(model, { mode: 'as-published', u8s8Exact: false, name: 'm' });
    expect(asPublished.computation).toBe('saturating');
    expect(asPublished.warning).toMatch(/"as-published"/);
    expect(planSession(model, { mode: 'as-published', u8s8Exact: true, name: 'm' }).computation).toBe(
      'exact',
    );
  });

  it('reads VNNI from the CPU flags', () => {
    const flags = (f: string): string => `processor\t: 0\nflags\t\t: fpu sse ${f} avx2\n`;
    expect(u8s8IsExact(flags('avx512_vnni'), 'x64')).toBe(true);
    expect(u8s8IsExact(flags('avx_vnni'), 'x64')).toBe(true);
    expect(u8s8IsExact(flags('avx512bw'), 'x64')).toBe(false);
    expect(u8s8IsExact(undefined, 'x64')).toBe(false); // unknown: assume it clips
    expect(u8s8IsExact(undefined, 'arm64')).toBe(true);
  });
});

describe('the default model', () => {
  const published = readFileSync(path.join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'));

  it('has every weight of its quantized convolutions and matmul rewritten, and none left to clip', () => {
    const { bytes, form } = toUint8Weights(published);
    expect(form.u8s8).toHaveLength(53); // 52 QLinearConv + 1 QLinearMatMul, all int8 with uint8 activations
    expect(form.rewritten).toEqual(form.u8s8);
    expect(form.kept).toEqual([]);
    expect(int8WeightForm(bytes)).toEqual({ u8s8: [], rewritten: [], kept: [] });
    // Only the rewritten tensors changed: the same size up to their zero points' varints.
    expect(Math.abs(bytes.length - published.length)).toBeLessThan(20_000);
  });
});
