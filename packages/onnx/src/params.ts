// The params of the primitives the ONNX table reads, as the tensor package binds them. They
// mirror the registry's params types (prims/*.ts), which @jacobi/tensor does not export (unfold's
// WindowGeometry it does); the mapping tests run every mapped primitive through ONNX Runtime,
// so a drift shows as a failure.
import type { WindowGeometry } from '@jacobi/tensor';

/** reshape and broadcastTo: the result's shape. */
export interface ShapeParams {
  readonly shape: readonly number[];
}
/** transpose: the axis permutation. */
export interface PermParams {
  readonly perm: readonly number[];
}
/** slice: per-axis start and step (non-zero); `shape` is the result's. */
export interface SliceParams {
  readonly starts: readonly number[];
  readonly steps: readonly number[];
  readonly shape: readonly number[];
}
/** concat: the axis the operands are joined along. */
export interface AxisParams {
  readonly axis: number;
}
/** cast: the target dtype. */
export interface CastParams {
  readonly dtype: 'float32' | 'float64' | 'int32' | 'bool';
}
/** sum and max: sorted axes, and whether they are kept with size 1. */
export interface ReduceParams {
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}
/** take: constant positions along `axis`, laid out in `indicesShape`. */
export interface TakeParams {
  readonly axis: number;
  readonly indices: Int32Array;
  readonly indicesShape: readonly number[];
}

/** How far along `axis` (0: rows, 1: columns) unfold's windows reach, the near padding included. */
export function windowReach(g: WindowGeometry, axis: 0 | 1): number {
  return (g.out[axis] - 1) * g.stride[axis] + g.dilation[axis] * (g.kernel[axis] - 1) + 1;
}
