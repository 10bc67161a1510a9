// matmul with NumPy's rules, reduced to the one batched primitive: 1-D operands become
// matrices, batch dimensions are broadcast (as views), and the added axes are removed after.
import { bind } from '../core/trace.js';
import type { Tensor } from '../core/tensor.js';
import { ShapeError, formatShape } from '../errors.js';
import { matmulPrim } from '../prims/matmul.js';
import { matmulBatchShape } from '../shape.js';
import { broadcastIfNeeded, castTo, expectTensor } from './operand.js';
import { promoteTypes } from '../dtype.js';

/**
 * Matrix product with NumPy semantics: `[m,k]·[k,n]`, vectors (`[k]` as a row on the left,
 * a column on the right), and batched `[...,m,k]·[...,k,n]` with broadcast batch dimensions.
 *
 * @example
 * matmul(X, W) // Y = XW, [n, id]·[id, h] -> [n, h]
 */
export function matmul(x: Tensor, y: Tensor): Tensor {
  if (typeof x === 'number' || typeof y === 'number') {
    throw new ShapeError('matmul: operands must be tensors of rank ≥ 1, got a number (use mul for scalars)');
  }
  const [a0, b0] = dtypeAligned(x, y);
  if (a0.ndim === 0 || b0.ndim === 0) {
    throw new ShapeError(`matmul: cannot multiply ${formatShape(a0.shape)} by ${formatShape(b0.shape)} (operands must have rank ≥ 1)`);
  }
  // Two matrices (a dense layer's product): no batch dimensions to broadcast.
  if (a0.ndim === 2 && b0.ndim === 2 && a0.shape[1] === b0.shape[0]) return bind(matmulPrim, [a0, b0], undefined);
  const a = a0.ndim === 1 ? a0.reshape([1, a0.shape[0]!]) : a0;
  const b = b0.ndim === 1 ? b0.reshape([b0.shape[0]!, 1]) : b0;
  const batch = matmulBatchShape(a.shape, b.shape, a0.shape, b0.shape);
  const m = a.shape[a.ndim - 2]!;
  const k = a.shape[a.ndim - 1]!;
  const n = b.shape[b.ndim - 1]!;
  const out = bind(matmulPrim, [broadcastIfNeeded(a, [...batch, m, k]), broadcastIfNeeded(b, [...batch, k, n])], undefined);
  if (a0.ndim > 1 && b0.ndim > 1) return out;
  const shape = [...batch];
  if (a0.ndim > 1) shape.push(m);
  if (b0.ndim > 1) shape.push(n);
  return out.reshape(shape);
}

/** Both operands in one dtype (float64 if either is), shapes untouched. */
function dtypeAligned(x: Tensor, y: Tensor): [Tensor, Tensor] {
  const a = expectTensor('matmul', 'the first operand', x);
  const b = expectTensor('matmul', 'the second operand', y);
  const dtype = promoteTypes(a.dtype, b.dtype);
  return [castTo(a, dtype), castTo(b, dtype)];
}
