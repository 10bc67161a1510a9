// Predicates on strided views that every backend (and the Tensor layer) asks the same way.
import type { StridedView } from './backend.js';

/** Whether `view` over `shape` is row-major contiguous (size-1 axes may have any stride). */
export function isRowMajor(view: Pick<StridedView, 'strides'>, shape: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && view.strides[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

/** Whether every stride is 0: one element repeated over the whole shape. */
export function isScalarView(view: Pick<StridedView, 'strides'>): boolean {
  for (const s of view.strides) if (s !== 0) return false;
  return true;
}
