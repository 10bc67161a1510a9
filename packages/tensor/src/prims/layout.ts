// Primitives that move elements without arithmetic. All are linear, so each JVP is the op
// itself applied to the tangent and each VJP is the op's transpose. Reshape (of contiguous
// data), transpose, broadcast and slice are views: they copy nothing.
import type { DType } from '../dtype.js';
import { activeBackend } from '../backend/registry.js';
import { bind } from '../core/trace.js';
import { definePrimitive, type ShapedPrimitive } from '../core/primitive.js';
import { Tensor, contiguousData, fromArray, isContiguousView } from '../core/tensor.js';
import { batchFirst, elementwiseBatch, leadingBatch } from './batching.js';
import { broadcastedAxes, contiguousStrides, invertPermutation, shapeSize } from '../shape.js';

export const reshapePrim: ShapedPrimitive<{ shape: readonly number[] }> = definePrimitive<{ shape: readonly number[] }>({
  name: 'reshape',
  shape: ([x], { shape }) => ({ shape, dtype: x!.dtype }),
  impl: ([x], _params, { shape }) => {
    const v = x!._view;
    if (isContiguousView(v))
      return new Tensor({ data: v.data, offset: v.offset, strides: contiguousStrides(shape), shape, dtype: v.dtype });
    return fromArray(contiguousData(x!), shape, v.dtype);
  },
  vjp: [(g, { inputs }) => g.reshape(inputs[0]!.shape)],
  jvp: [(dx, { params }) => dx.reshape(params.shape)],
  batch: leadingBatch(
    () => reshapePrim,
    ({ shape }, size) => ({ shape: [size, ...shape] }),
  ),
});

export const transposePrim: ShapedPrimitive<{ perm: readonly number[] }> = definePrimitive<{ perm: readonly number[] }>({
  name: 'transpose',
  shape: ([x], { perm }) => ({ shape: perm.map((p) => x!.shape[p]!), dtype: x!.dtype }),
  impl: ([x], { perm }, { shape }) => {
    const v = x!._view;
    return new Tensor({ data: v.data, offset: v.offset, shape, strides: perm.map((p) => v.strides[p]!), dtype: v.dtype });
  },
  vjp: [(g, { params }) => g.transpose(invertPermutation(params.perm))],
  jvp: [(dx, { params }) => dx.transpose(params.perm)],
  batch: leadingBatch(
    () => transposePrim,
    ({ perm }) => ({ perm: [0, ...perm.map((p) => p + 1)] }),
  ),
});

// Broadcasting is undone here and only here: the VJP sums the cotangent over the stretched axes.
export const broadcastPrim: ShapedPrimitive<{ shape: readonly number[] }> = definePrimitive<{ shape: readonly number[] }>({
  name: 'broadcastTo',
  shape: ([x], { shape }) => ({ shape, dtype: x!.dtype }),
  impl: ([x], _params, { shape }) => {
    const v = x!._view;
    const lead = shape.length - v.shape.length;
    const strides = shape.map((d, i) => (i < lead || v.shape[i - lead] !== d ? 0 : v.strides[i - lead]!));
    return new Tensor({ data: v.data, offset: v.offset, strides, shape, dtype: v.dtype });
  },
  vjp: [(g, { inputs }) => sumToShape(g, inputs[0]!.shape)],
  jvp: [(dx, { params }) => dx.broadcastTo(params.shape)],
  // Broadcasting aligns shapes from the right, so with the batch axis first in x it lands
  // after the axes broadcasting adds: no reshape is needed.
  batch: ([x], [axis], { shape }, size) => {
    const lead = shape.length - (axis === null || axis === undefined ? x!.ndim : x!.ndim - 1);
    const target = [...shape.slice(0, lead), size, ...shape.slice(lead)];
    return [bind(broadcastPrim, [batchFirst(x!, axis ?? null, size)], { shape: target }), lead];
  },
});

/** Sums `g` over the axes that broadcasting added to reach `shape` (the transpose of broadcastTo). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  const axes = broadcastedAxes(shape, g.shape);
  if (axes.length === 0) return g;
  return g.sum(axes, true).reshape(shape);
}

/** Per-axis `start` and `step` (any non-zero integer) of a strided window; its shape is the output's. */
export interface SliceParams {
  readonly starts: readonly number[];
  readonly steps: readonly number[];
  readonly shape: readonly number[];
}

function sliceView(v: Tensor['_view'], { starts, steps, shape }: SliceParams) {
  let offset = v.offset;
  for (let d = 0; d < starts.length; d++) offset += starts[d]! * v.strides[d]!;
  return { data: v.data, offset, strides: v.strides.map((s, d) => s * steps[d]!), shape, dtype: v.dtype };
}

export const slicePrim: ShapedPrimitive<SliceParams> = definePrimitive<SliceParams>({
  name: 'slice',
  shape: ([x], { shape }) => ({ shape, dtype: x!.dtype }),
  impl: ([x], params) => new Tensor(sliceView(x!._view, params)),
  vjp: [(g, { inputs, params }) => bind(unslicePrim, [g], { ...params, inputShape: inputs[0]!.shape })],
  jvp: [(dx, { params }) => bind(slicePrim, [dx], params)],
  batch: leadingBatch(() => slicePrim, batchedWindow),
});

/** A window of one example as a window of all of them: the batch axis is taken whole. */
function batchedWindow<W extends SliceParams>(params: W, size: number): W {
  return { ...params, starts: [0, ...params.starts], steps: [1, ...params.steps], shape: [size, ...params.shape] };
}

/** The transpose of slice: zeros of `inputShape` with `g` written into the window. */
export const unslicePrim: ShapedPrimitive<SliceParams & { readonly inputShape: readonly number[] }> = definePrimitive<
  SliceParams & { readonly inputShape: readonly number[] }
>({
  name: 'unslice',
  shape: ([g], { inputShape }) => ({ shape: inputShape, dtype: g!.dtype }),
  impl: ([g], params, { shape, dtype }, target) => {
    const out = target.zeros(dtype, shapeSize(shape));
    const full = { data: out, offset: 0, strides: contiguousStrides(shape), shape, dtype };
    activeBackend().copy(g!._view, sliceView(full, params), params.shape);
    return fromArray(out, shape, dtype);
  },
  vjp: [(g, { params }) => bind(slicePrim, [g], { starts: params.starts, steps: params.steps, shape: params.shape })],
  jvp: [(dx, { params }) => bind(unslicePrim, [dx], params)],
  batch: leadingBatch(
    () => unslicePrim,
    (params, size) => ({ ...batchedWindow(params, size), inputShape: [size, ...params.inputShape] }),
  ),
});

/** The window of `out` that input `i` of a concat along `axis` fills. */
function concatWindow(out: readonly number[], axis: number, start: number, length: number): SliceParams {
  return {
    starts: out.map((_, d) => (d === axis ? start : 0)),
    steps: out.map(() => 1),
    shape: out.map((s, d) => (d === axis ? length : s)),
  };
}

function concatOffsets(inputs: readonly { readonly shape: readonly number[] }[], axis: number): number[] {
  const offsets = [0];
  for (const x of inputs) offsets.push(offsets[offsets.length - 1]! + x.shape[axis]!);
  return offsets;
}

// Input i of a concat lands in one window of the output, so its VJP slices that window out
// and its JVP places the tangent there (zeros elsewhere); contributions add up to the concat.
const concatRules = {
  vjp: (i: number) => (g: Tensor, ctx: { inputs: readonly Tensor[]; params: { axis: number } }) => {
    const offsets = concatOffsets(ctx.inputs, ctx.params.axis);
    return bind(slicePrim, [g], concatWindow(g.shape, ctx.params.axis, offsets[i]!, ctx.inputs[i]!.shape[ctx.params.axis]!));
  },
  jvp: (i: number) => (dx: Tensor, ctx: { inputs: readonly Tensor[]; out: Tensor; params: { axis: number } }) => {
    const offsets = concatOffsets(ctx.inputs, ctx.params.axis);
    const window = concatWindow(ctx.out.shape, ctx.params.axis, offsets[i]!, dx.shape[ctx.params.axis]!);
    return bind(unslicePrim, [dx], { ...window, inputShape: ctx.out.shape });
  },
};

/** Concat has one input per operand, so its rule lists are built for the arity at hand. */
export function concatPrim(arity: number): ShapedPrimitive<{ axis: number }> {
  let prim = concatPrims.get(arity);
  if (!prim) {
    prim = definePrimitive<{ axis: number }>({
      name: 'concat',
      shape: (inputs, { axis }) => {
        const length = concatOffsets(inputs, axis)[inputs.length]!;
        return { shape: inputs[0]!.shape.map((s, d) => (d === axis ? length : s)), dtype: inputs[0]!.dtype };
      },
      impl: (inputs, { axis }, { shape, dtype }, target) => {
        const offsets = concatOffsets(inputs, axis);
        const out = target.array(dtype, shapeSize(shape));
        const full = { data: out, offset: 0, strides: contiguousStrides(shape), shape, dtype };
        inputs.forEach((x, i) => {
          const window = concatWindow(shape, axis, offsets[i]!, x.shape[axis]!);
          activeBackend().copy(x._view, sliceView(full, window), window.shape);
        });
        return fromArray(out, shape, dtype);
      },
      vjp: Array.from({ length: arity }, (_, i) => concatRules.vjp(i)),
      jvp: Array.from({ length: arity }, (_, i) => concatRules.jvp(i)),
      batch: (inputs, axes, { axis }, size) => [
        bind(
          concatPrim(arity),
          inputs.map((x, i) => batchFirst(x, axes[i] ?? null, size)),
          { axis: axis + 1 },
        ),
        0,
      ],
    });
    concatPrims.set(arity, prim);
  }
  return prim;
}
const concatPrims = new Map<number, ShapedPrimitive<{ axis: number }>>();

export const castPrim: ShapedPrimitive<{ dtype: DType }> = definePrimitive<{ dtype: DType }>({
  name: 'cast',
  shape: ([x], { dtype }) => ({ shape: x!.shape, dtype }),
  impl: ([x], _params, { shape, dtype }, target) => {
    if (dtype === 'bool') {
      // NOTE: a copy into a Uint8Array would keep the low byte (256 → 0, 0.5 → 0); true is
      // "not zero", which NaN is too. The zero comes from the target, before the result (the
      // last array a target makes is the result's), so that jit's lowered replay sees who
      // filled it and fills it again.
      const zero = { data: target.zeros(x!.dtype, 1), offset: 0, strides: shape.map(() => 0) };
      const out = target.array(dtype, shapeSize(shape));
      activeBackend().binary('notEqual', x!._view, zero, shape, out);
      return fromArray(out, shape, dtype);
    }
    const out = target.array(dtype, shapeSize(shape));
    // A copy into an Int32Array rounds toward zero, as PyTorch's float-to-integer casts do.
    activeBackend().copy(x!._view, { data: out, offset: 0, strides: contiguousStrides(shape) }, shape);
    return fromArray(out, shape, dtype);
  },
  // Only float-to-float casts are ever differentiated: an integer or bool output is a constant.
  vjp: [(g, { inputs }) => g.astype(inputs[0]!.dtype)],
  jvp: [(dx, { params }) => dx.astype(params.dtype)],
  batch: elementwiseBatch(() => castPrim),
  elementwise: { kind: 'cast' },
});
