// Sorting as two primitives: argsort (the permutation that sorts each line; a constant to
// autodiff) and permuteAlong (elements moved along an axis by such a permutation). permuteAlong
// is linear in x: its JVP is itself and its VJP moves the cotangent back by the inverse
// permutation, which is argsort of the permutation.
import { activeBackend } from '../backend/registry.js';
import { bind } from '../core/trace.js';
import { definePrimitive, type ShapedPrimitive } from '../core/primitive.js';
import { contiguousData, fromArray } from '../core/tensor.js';
import { shapeSize } from '../shape.js';
import { batchFirst, leadingBatch } from './batching.js';

export interface ArgsortParams {
  readonly axis: number;
  readonly descending: boolean;
}

export const argsortPrim: ShapedPrimitive<ArgsortParams> = definePrimitive<ArgsortParams>({
  name: 'argsort',
  shape: ([x]) => ({ shape: x!.shape, dtype: 'int32' }),
  impl: ([x], { axis, descending }, { shape, dtype }, target) => {
    const out = target.array(dtype, shapeSize(shape));
    activeBackend().argsort(contiguousData(x!), shape, axis, descending, out);
    return fromArray(out, shape, dtype);
  },
  vjp: [null],
  jvp: [null],
  batch: leadingBatch(
    () => argsortPrim,
    (params) => ({ ...params, axis: params.axis + 1 }),
  ),
});

/** `out[…, j, …] = x[…, perm[…, j, …], …]` along `axis`, where each line of `perm` is a permutation. */
export const permuteAlongPrim: ShapedPrimitive<{ readonly axis: number }> = definePrimitive<{ readonly axis: number }>({
  name: 'permuteAlong',
  shape: ([x]) => ({ shape: x!.shape, dtype: x!.dtype }),
  impl: ([x, perm], { axis }, { shape, dtype }, target) => {
    const out = target.array(dtype, shapeSize(shape));
    activeBackend().takeAlong(contiguousData(x!), x!.shape[axis]!, contiguousData(perm!), shape, axis, out);
    return fromArray(out, shape, dtype);
  },
  vjp: [
    (g, { inputs, params }) => {
      const inverse = bind(argsortPrim, [inputs[1]!], { axis: params.axis, descending: false });
      return bind(permuteAlongPrim, [g, inverse], params);
    },
    null,
  ],
  jvp: [(dx, { inputs, params }) => bind(permuteAlongPrim, [dx, inputs[1]!], params), null],
  // x and its permutation have one shape, so both get the batch axis first.
  batch: ([x, perm], [xAxis, permAxis], { axis }, size) => [
    bind(permuteAlongPrim, [batchFirst(x!, xAxis ?? null, size), batchFirst(perm!, permAxis ?? null, size)], { axis: axis + 1 }),
    0,
  ],
});
