// W1: float32 matmul, square and batched ([batch, m, k] × [k, n]); W6's float64 matmul.
import { randn, rng, type Tensor } from '@jacobi/tensor';
import type { BenchCase, Sizes } from './types.js';
import type { JaxArray } from '../frameworks.js';
import { toJax, toTf } from './convert.js';

function matmulCase(
  workload: string,
  size: string,
  aShape: number[],
  bShape: number[],
  dtype: 'float32' | 'float64',
  seed: number,
): BenchCase {
  let data: [Tensor, Tensor] | null = null;
  const operands = (): [Tensor, Tensor] => {
    const r = rng(seed);
    return (data ??= [randn(aShape, { rng: r, dtype }), randn(bShape, { rng: r, dtype })]);
  };
  const [m, k] = aShape.slice(-2) as [number, number];
  const batch = aShape.length === 3 ? aShape[0]! : 1;
  const n = bShape[1]!;
  return {
    workload,
    title: aShape.length === 3 ? 'batched matmul' : 'matmul',
    size,
    dtype,
    unit: 'GFLOP/s',
    flops: 2 * batch * m * k * n,
    jacobi() {
      const [a, b] = operands();
      return { run: () => void a.matmul(b) };
    },
    tfjs:
      dtype === 'float32'
        ? (tf) => {
            const [a, b] = operands().map((t) => toTf(tf, t));
            return {
              run: () => tf.matMul(a!, b!).dispose(),
              dispose: () => tf.dispose([a!, b!]),
            };
          }
        : undefined,
    jaxjs:
      dtype === 'float32'
        ? (jax, mode) => {
            const [a, b] = operands().map((t) => toJax(jax, t)) as [JaxArray, JaxArray];
            const product = mode === 'jit' ? jax.jit(jax.numpy.matmul) : null;
            // jax-js is lazy: dataSync() runs the product (and copies it out); `.ref` keeps the
            // operands alive, since every jax-js call consumes a reference to its arguments.
            return {
              run: () => void (product ?? jax.numpy.matmul)(a.ref, b.ref).dataSync(),
              dispose: () => {
                a.dispose();
                b.dispose();
                product?.dispose();
              },
            };
          }
        : undefined,
    peerNote: dtype === 'float64' ? 'no float64 in tfjs' : undefined,
    baseline: dtype === 'float64' ? `W1 matmul N=${m}` : undefined,
  } satisfies BenchCase;
}

export function matmulCases(sizes: Sizes): BenchCase[] {
  const { batch, m, k, n } = sizes.batchMatmul;
  return [
    ...sizes.matmulN.map((N) => matmulCase('W1', `N=${N}`, [N, N], [N, N], 'float32', N)),
    matmulCase('W1', `[${batch},${m},${k}]x[${k},${n}]`, [batch, m, k], [k, n], 'float32', 7),
  ];
}

export function float64MatmulCase(sizes: Sizes): BenchCase {
  const N = sizes.float64MatmulN;
  return matmulCase('W6', `N=${N}`, [N, N], [N, N], 'float64', N);
}
