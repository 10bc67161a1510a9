// Gathering along one axis at constant positions, and its transpose. The positions are params,
// not inputs (indices are never differentiated), so both primitives are linear in their one
// input: take's VJP is the scatter-add `untake`, untake's VJP is take, and each JVP is the op.
import { activeBackend } from '../backend/registry.js';
import { definePrimitive, type ShapedPrimitive } from '../core/primitive.js';
import { contiguousData, fromArray } from '../core/tensor.js';
import { bind } from '../core/trace.js';
import { allocate } from '../dtype.js';
import { aroundAxis, shapeSize } from '../shape.js';
import { leadingBatch } from './batching.js';

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
  impl: ([x], { axis, indices }, { shape, dtype }) => {
    const out = allocate(dtype, shapeSize(shape));
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
  impl: ([g], { axis, indices }, { shape, dtype }) => {
    const out = allocate(dtype, shapeSize(shape));
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
