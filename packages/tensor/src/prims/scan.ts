// The running sum along one axis, a primitive for speed (one pass instead of the ⌈log₂ n⌉
// rounds of a composite scan). It is linear: its JVP is itself, and its transpose (the VJP) is
// the running sum taken from the other end.
import { sumDType } from '../dtype.js';
import { activeBackend } from '../backend/registry.js';
import { bind } from '../core/trace.js';
import { definePrimitive, type ShapedPrimitive } from '../core/primitive.js';
import { contiguousData, fromArray } from '../core/tensor.js';
import { shapeSize } from '../shape.js';
import { leadingBatch } from './batching.js';

export interface CumsumParams {
  readonly axis: number;
  /** Sum from the last element towards the first. */
  readonly reverse: boolean;
}

export const cumsumPrim: ShapedPrimitive<CumsumParams> = definePrimitive<CumsumParams>({
  name: 'cumsum',
  shape: ([x]) => ({ shape: x!.shape, dtype: sumDType(x!.dtype) }),
  impl: ([x], { axis, reverse }, { shape, dtype }, target) => {
    const out = target.array(dtype, shapeSize(shape));
    activeBackend().cumsum(contiguousData(x!), shape, axis, reverse, out);
    return fromArray(out, shape, dtype);
  },
  // ∂yᵢ/∂xⱼ = [j ≤ i], so the cotangent of xⱼ is Σᵢ≥ⱼ gᵢ: the reversed running sum.
  vjp: [(g, { params }) => bind(cumsumPrim, [g], { axis: params.axis, reverse: !params.reverse })],
  jvp: [(dx, { params }) => bind(cumsumPrim, [dx], params)],
  batch: leadingBatch(
    () => cumsumPrim,
    (params) => ({ ...params, axis: params.axis + 1 }),
  ),
});
