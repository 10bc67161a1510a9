// Gathering along one axis at constant positions, and its transpose. The positions are params,
// not inputs (indices are never differentiated), so both primitives are linear in their one
// input: take's VJP is the scatter-add `untake`, untake's VJP is take, and each JVP is the op.
// takeIndexed/untakeIndexed are the same pair with the positions as an int32 input, for
// positions that are themselves traced (a jit variable, a vmap batch): their values are known
// only when the kernel runs, so that is where they are checked.
import { activeBackend } from '../backend/registry.js';
import { definePrimitive, type ShapedPrimitive } from '../core/primitive.js';
import { contiguousData, fromArray, type Tensor } from '../core/tensor.js';
import { bind } from '../core/trace.js';
import { allocateUnfilled } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { aroundAxis, shapeSize } from '../shape.js';
import { batchFirst, leadingBatch, moveAxis } from './batching.js';

/** Positions along `axis` (each in range, non-negative), laid out in `indicesShape`. */
export interface TakeParams {
  readonly axis: number;
  readonly indices: Int32Array;
  readonly indicesShape: readonly number[];
}

/** `take`'s transpose also needs the shape it scatters back into. */
export interface UntakeParams extends TakeParams {
  readonly inputShape: readonly number[];
}

/** `x.shape` with axis `axis` replaced by the indices' shape. */
function takenShape(shape: readonly number[], { axis, indicesShape }: TakeParams): number[] {
  return [...shape.slice(0, axis), ...indicesShape, ...shape.slice(axis + 1)];
}

export const takePrim: ShapedPrimitive<TakeParams> = definePrimitive<TakeParams>({
  name: 'take',
  shape: ([x], params) => ({ shape: takenShape(x!.shape, params), dtype: x!.dtype }),
  impl: ([x], { axis, indices }, { shape, dtype }, target) => {
    const out = target.array(dtype, shapeSize(shape));
    const [outer, n, inner] = aroundAxis(x!.shape, axis);
    activeBackend().gather(contiguousData(x!), outer, n, inner, indices, out);
    return fromArray(out, shape, dtype);
  },
  vjp: [(g, { inputs, params }) => bind(untakePrim, [g], { ...params, inputShape: inputs[0]!.shape })],
  jvp: [(dx, { params }) => bind(takePrim, [dx], params)],
  // The positions are the same for every example (they are params), so the batch axis goes
  // first and the gather runs along the next axis over.
  batch: leadingBatch(
    () => takePrim,
    (params) => ({ ...params, axis: params.axis + 1 }),
  ),
});

export const untakePrim: ShapedPrimitive<UntakeParams> = definePrimitive<UntakeParams>({
  name: 'untake',
  shape: ([g], { inputShape }) => ({ shape: inputShape, dtype: g!.dtype }),
  impl: ([g], { axis, indices }, { shape, dtype }, target) => {
    const out = target.zeros(dtype, shapeSize(shape));
    const [outer, n, inner] = aroundAxis(shape, axis);
    activeBackend().scatterAdd(contiguousData(g!), outer, n, inner, indices, out);
    return fromArray(out, shape, dtype);
  },
  vjp: [(g, { params }) => bind(takePrim, [g], { axis: params.axis, indices: params.indices, indicesShape: params.indicesShape })],
  jvp: [(dx, { params }) => bind(untakePrim, [dx], params)],
  batch: leadingBatch(
    () => untakePrim,
    (params, size) => ({ ...params, axis: params.axis + 1, inputShape: [size, ...params.inputShape] }),
  ),
});

/**
 * takeIndexed's params: the calling function's name; the axis; whether a negative position counts from the end (take) or
 * is an error (an embedding); and `blocks`, for vmap: the axis holds `blocks` consecutive groups
 * of equal size and the positions' flat entries `blocks` consecutive groups, group g of the
 * positions indexing group g of the axis (1 outside vmap).
 */
export interface TakeIndexedParams {
  /** The function the user called (take, gather, …), named by the kernel-time range error. */
  readonly op: string;
  readonly axis: number;
  readonly negativeWraps: boolean;
  readonly blocks: number;
}

/** untakeIndexed also needs the size of the axis it scatters back into (all its groups). */
export interface UntakeIndexedParams extends TakeIndexedParams {
  readonly size: number;
}

/**
 * The positions of an int32 tensor as offsets along an axis of `blocks` groups of `size`: each
 * entry in [0, size) (or [−size, size) counting from the end), shifted into its group; or an
 * ArgumentError naming the first bad one.
 */
function positionsOf(op: string, indices: Tensor, size: number, axis: number, negativeWraps: boolean, blocks: number): Int32Array {
  const values = contiguousData(indices);
  // Not from the output target: a step's target makes its result, and this is not the result.
  const out = allocateUnfilled('int32', values.length) as Int32Array;
  const bad = activeBackend().indexPositions(values, size, negativeWraps, blocks, out);
  if (bad >= 0)
    throw new ArgumentError(
      `${op}: index ${values[bad]} (entry ${bad}) is out of range for ${blocks > 1 ? 'an axis' : `axis ${axis}`} of size ${size}${negativeWraps ? '' : ' (no negative indices)'}`,
    );
  return out;
}

/** `x` with its batch axis (or a broadcast one) just before `axis`, merged into it: [..., B·n, ...]. */
function mergedBefore(x: Tensor, batchAxis: number | null, axis: number, size: number): Tensor {
  const front = batchFirst(x, batchAxis, size);
  const moved = moveAxis(front, 0, axis);
  return moved.reshape([...moved.shape.slice(0, axis), size * moved.shape[axis + 1]!, ...moved.shape.slice(axis + 2)]);
}

export const takeIndexedPrim: ShapedPrimitive<TakeIndexedParams> = definePrimitive<TakeIndexedParams>({
  name: 'takeIndexed',
  shape: ([x, indices], { axis }) => ({
    shape: [...x!.shape.slice(0, axis), ...indices!.shape, ...x!.shape.slice(axis + 1)],
    dtype: x!.dtype,
  }),
  impl: ([x, indices], { op, axis, negativeWraps, blocks }, { shape, dtype }, target) => {
    const [outer, n, inner] = aroundAxis(x!.shape, axis);
    const positions = positionsOf(op, indices!, n / blocks, axis, negativeWraps, blocks);
    const out = target.array(dtype, shapeSize(shape));
    activeBackend().gather(contiguousData(x!), outer, n, inner, positions, out);
    return fromArray(out, shape, dtype);
  },
  vjp: [(g, { inputs, params }) => bind(untakeIndexedPrim, [g, inputs[1]!], { ...params, size: inputs[0]!.shape[params.axis]! }), null],
  jvp: [(dx, { inputs, params }) => bind(takeIndexedPrim, [dx, inputs[1]!], params), null],
  batch: ([x, indices], [xAxis, indicesAxis], params, size) => {
    const { axis } = params;
    // The same positions for every example: a take along the next axis over.
    if (indicesAxis === null || indicesAxis === undefined)
      return [bind(takeIndexedPrim, [batchFirst(x!, xAxis ?? null, size), indices!], { ...params, axis: axis + 1 }), 0];
    const positions = batchFirst(indices!, indicesAxis, size);
    // One table for every example (an embedding): the positions of all examples at once.
    if (xAxis === null || xAxis === undefined) {
      if (params.blocks === 1) return [bind(takeIndexedPrim, [x!, positions], params), axis];
    }
    // Each example its own table: the examples become groups of the axis.
    const merged = mergedBefore(x!, xAxis ?? null, axis, size);
    return [bind(takeIndexedPrim, [merged, positions], { ...params, blocks: size * params.blocks }), axis];
  },
});

export const untakeIndexedPrim: ShapedPrimitive<UntakeIndexedParams> = definePrimitive<UntakeIndexedParams>({
  name: 'untakeIndexed',
  shape: ([g, indices], { axis, size }) => ({
    shape: [...g!.shape.slice(0, axis), size, ...g!.shape.slice(axis + indices!.shape.length)],
    dtype: g!.dtype,
  }),
  impl: ([g, indices], { op, axis, size, negativeWraps, blocks }, { shape, dtype }, target) => {
    const [outer, , inner] = aroundAxis(shape, axis);
    const positions = positionsOf(op, indices!, size / blocks, axis, negativeWraps, blocks);
    const out = target.zeros(dtype, shapeSize(shape));
    activeBackend().scatterAdd(contiguousData(g!), outer, size, inner, positions, out);
    return fromArray(out, shape, dtype);
  },
  vjp: [
    (g, { inputs, params }) =>
      bind(takeIndexedPrim, [g, inputs[1]!], {
        op: params.op,
        axis: params.axis,
        negativeWraps: params.negativeWraps,
        blocks: params.blocks,
      }),
    null,
  ],
  jvp: [(dx, { inputs, params }) => bind(untakeIndexedPrim, [dx, inputs[1]!], params), null],
  batch: ([g, indices], [gAxis, indicesAxis], params, size) => {
    const { axis } = params;
    if (indicesAxis === null || indicesAxis === undefined)
      return [bind(untakeIndexedPrim, [batchFirst(g!, gAxis ?? null, size), indices!], { ...params, axis: axis + 1 }), 0];
    // Each example scatters into its own group of the axis: [..., B·size, ...], then split.
    const positions = batchFirst(indices!, indicesAxis, size);
    const spread = moveAxis(batchFirst(g!, gAxis ?? null, size), 0, axis);
    const out = bind(untakeIndexedPrim, [spread, positions], { ...params, size: size * params.size, blocks: size * params.blocks });
    return [out.reshape([...out.shape.slice(0, axis), size, params.size, ...out.shape.slice(axis + 1)]), axis];
  },
});
