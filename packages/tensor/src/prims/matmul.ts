// Batched matrix product of [...batch, m, k] by [...batch, k, n] with equal batch dimensions
// (the matmul wrapper broadcasts them first). Transposed or broadcast operands reach the
// kernel as strides, never as copies.
import { activeBackend } from '../backend/registry.js';
import { bind } from '../core/trace.js';
import { definePrimitive, type ShapedPrimitive } from '../core/primitive.js';
import { fromArray, type Tensor } from '../core/tensor.js';
import { shapeSize } from '../shape.js';
import { transposePrim } from './layout.js';
import { batchFirst, moveAxis } from './batching.js';

/** Swaps the last two axes (a view). */
function matrixTranspose(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1]!, perm[n - 2]!];
  return bind(transposePrim, [x], { perm });
}

// Bilinear: d(AB) = dA·B + A·dB; the VJPs are G·Bᵀ and Aᵀ·G.
export const matmulPrim: ShapedPrimitive<undefined> = definePrimitive<undefined>({
  name: 'matmul',
  shape: ([a, b]) => ({ shape: [...a!.shape.slice(0, -1), b!.shape[b!.shape.length - 1]!], dtype: a!.dtype }),
  impl: ([a, b], _params, { shape, dtype }, target) => {
    const batchShape = shape.slice(0, -2);
    const [m, n] = shape.slice(-2) as [number, number];
    const k = a!.shape[a!.ndim - 1]!;
    const out = target.array(dtype, shapeSize(shape));
    activeBackend().matmul(a!._view, b!._view, batchShape, m, k, n, out);
    return fromArray(out, shape, dtype);
  },
  vjp: [
    (g, { inputs }) => bind(matmulPrim, [g, matrixTranspose(inputs[1]!)], undefined),
    (g, { inputs }) => bind(matmulPrim, [matrixTranspose(inputs[0]!), g], undefined),
  ],
  jvp: [
    (da, { inputs }) => bind(matmulPrim, [da, inputs[1]!], undefined),
    (db, { inputs }) => bind(matmulPrim, [inputs[0]!, db], undefined),
  ],
  batch: ([a, b], [aAxis, bAxis], _params, size) => {
    if (bAxis === null || bAxis === undefined) return [rowsBatched(a!, aAxis!, b!, size), a!.ndim - 3];
    if (aAxis === null || aAxis === undefined) return [columnsBatched(a!, b!, bAxis, size), b!.ndim - 2];
    return [bind(matmulPrim, [batchFirst(a!, aAxis, size), batchFirst(b!, bAxis, size)], undefined), 0];
  },
});

/**
 * A batched `a` by a shared `b`: the examples become more rows of one product
 * ([...batch, size·m, k] · [...batch, k, n]), one gemm instead of `size` small ones.
 * The output's batch axis is just before its rows.
 */
function rowsBatched(a: Tensor, axis: number, b: Tensor, size: number): Tensor {
  const rows = a.ndim - 3;
  const moved = moveAxis(a, axis, rows);
  const [m, k] = moved.shape.slice(-2) as [number, number];
  const out = bind(matmulPrim, [moved.reshape([...moved.shape.slice(0, rows), size * m, k]), b], undefined);
  return out.reshape([...out.shape.slice(0, -2), size, m, out.shape[out.ndim - 1]!]);
}

/** A shared `a` by a batched `b`: the examples become more columns; the batch axis is just before them. */
function columnsBatched(a: Tensor, b: Tensor, axis: number, size: number): Tensor {
  const columns = b.ndim - 2;
  const moved = moveAxis(b, axis, columns);
  const [k, n] = [moved.shape[columns - 1]!, moved.shape[columns + 1]!];
  const out = bind(matmulPrim, [a, moved.reshape([...moved.shape.slice(0, columns - 1), k, size * n])], undefined);
  return out.reshape([...out.shape.slice(0, -1), size, n]);
}
