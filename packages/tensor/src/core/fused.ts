// The bridge from jit's execution plan (staging/plan.ts) to the active backend's fused
// elementwise kernels: staging never reaches the backend itself.
import type { DType } from '../dtype.js';
import type { FusedExpression, FusedKernels, FusedNode } from '../backend/backend.js';
import { activeBackend } from '../backend/registry.js';
import { FRESH_OUTPUT, type OutputTarget } from './primitive.js';
import { shapeSize } from '../shape.js';
import { fromArray, type Tensor } from './tensor.js';

export type { FusedExpression, FusedKernels, FusedNode };

let ran = 0;

/** The active backend's fused kernels, or undefined where it has none (then nothing is fused). */
export function fusedKernels(): FusedKernels | undefined {
  return activeBackend().fused;
}

/**
 * `expr` over `shape` from `operands` (each of that shape) as a tensor on an array from `target`,
 * or null where `kernels` cannot run it.
 */
export function runFused(
  kernels: FusedKernels,
  expr: FusedExpression,
  operands: readonly Tensor[],
  shape: readonly number[],
  dtype: DType,
  target: OutputTarget = FRESH_OUTPUT,
): Tensor | null {
  const out = target.array(dtype, shapeSize(shape));
  if (
    !kernels.run(
      expr,
      operands.map((x) => x._view),
      shape,
      out,
    )
  )
    return null;
  ran++;
  return fromArray(out, shape, dtype);
}

/** How many fused steps have run in this process (tests check that fusion happened). */
export function fusedStepsRun(): number {
  return ran;
}
