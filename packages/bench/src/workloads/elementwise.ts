// W2: the fused-looking elementwise chain tanh(a·b + c) over a million elements, and the
// reduction sum((a − b)²) over as many.
import { jit, randn, rng, type Tensor } from '@jacobi/tensor';
import type { BenchCase, Sizes } from './types.js';
import { toJax, toTf } from './convert.js';
import type { JaxArray } from '../frameworks.js';

/** `count` standard normal operands of `n` elements from `seed`, made at the first call only. */
function operandsOnce(count: number, n: number, seed: number): () => Tensor[] {
  let data: Tensor[] | null = null;
  return () => {
    const r = rng(seed);
    return (data ??= Array.from({ length: count }, () => randn([n], { rng: r })));
  };
}

/** The fields a W2 row shares: a float32 workload over `sizes.elementwise` elements, in ms. */
const w2Row = (sizes: Sizes, title: string) =>
  ({ workload: 'W2', title, size: `${sizes.elementwise.toExponential(0).replace('+', '')} elems`, dtype: 'float32', unit: 'ms' }) as const;

/** W2 eagerly, or (`'jit'`) through jit, whose replay runs the chain as fused kernels. */
export function elementwiseCase(sizes: Sizes, mode: 'eager' | 'jit' = 'eager'): BenchCase {
  const operands = operandsOnce(3, sizes.elementwise, 11);
  return {
    ...w2Row(sizes, mode === 'jit' ? 'tanh(a*b+c), jit' : 'tanh(a*b+c)'),
    jacobi() {
      const [a, b, c] = operands() as [Tensor, Tensor, Tensor];
      if (mode === 'jit') {
        const f = jit((x: Tensor, y: Tensor, z: Tensor) => x.mul(y).add(z).tanh());
        // dispose(): as below.
        return { run: () => f(a, b, c).dispose() };
      }
      // realize(): the chain is one pending expression until its value is read; compute it here.
      // dispose(): the result is dropped, as the tfjs row's tidy() and the jax-js row do with
      // theirs, so its array serves the next run's result.
      return { run: () => a.mul(b).add(c).tanh().realize().dispose() };
    },
    tfjs(tf) {
      const [a, b, c] = operands().map((t) => toTf(tf, t));
      return {
        run: () =>
          tf.tidy(() => {
            tf.tanh(tf.add(tf.mul(a!, b!), c!));
          }),
        dispose: () => tf.dispose([a!, b!, c!]),
      };
    },
    jaxjs(jax, jaxMode) {
      // As in W3/W4: each row has the jax-js mode of its own.
      if (jaxMode !== mode) return `jax-js ${jaxMode} runs in the ${jaxMode === 'jit' ? "', jit'" : 'eager'} row`;
      const [a, b, c] = operands().map((t) => toJax(jax, t)) as [JaxArray, JaxArray, JaxArray];
      const chain = (x: JaxArray, y: JaxArray, z: JaxArray): JaxArray => jax.numpy.tanh(x.mul(y).add(z));
      const f = jaxMode === 'jit' ? jax.jit(chain) : null;
      return {
        // Eager jax-js already fuses this chain lazily; dataSync() runs it and copies the result out.
        run: () => void (f ?? chain)(a.ref, b.ref, c.ref).dataSync(),
        dispose: () => {
          for (const x of [a, b, c]) x.dispose();
          f?.dispose();
        },
      };
    },
  };
}

/**
 * W2's reduction: the squared distance sum((a − b)²) over the same million elements, eagerly or
 * (`'jit'`) through jit, whose fused step ends in the sum. Each run reads the scalar, as a loss
 * is read.
 */
export function reductionCase(sizes: Sizes, mode: 'eager' | 'jit' = 'eager'): BenchCase {
  const operands = operandsOnce(2, sizes.elementwise, 12);
  return {
    ...w2Row(sizes, mode === 'jit' ? 'sum((a-b)^2), jit' : 'sum((a-b)^2)'),
    jacobi() {
      const [a, b] = operands() as [Tensor, Tensor];
      const distance = (x: Tensor, y: Tensor): Tensor => x.sub(y).square().sum();
      const f = mode === 'jit' ? jit(distance) : distance;
      return { run: () => void f(a, b).item() };
    },
    tfjs(tf) {
      const [a, b] = operands().map((t) => toTf(tf, t));
      return {
        run: () => {
          const total = tf.tidy(() => tf.sum(tf.square(tf.sub(a!, b!))));
          total.dataSync();
          total.dispose();
        },
        dispose: () => tf.dispose([a!, b!]),
      };
    },
    jaxjs(jax, jaxMode) {
      if (jaxMode !== mode) return `jax-js ${jaxMode} runs in the ${jaxMode === 'jit' ? "', jit'" : 'eager'} row`;
      const [a, b] = operands().map((t) => toJax(jax, t)) as [JaxArray, JaxArray];
      const distance = (x: JaxArray, y: JaxArray): JaxArray => jax.numpy.sum(jax.numpy.square(x.sub(y)));
      const f = jaxMode === 'jit' ? jax.jit(distance) : null;
      return {
        run: () => void (f ?? distance)(a.ref, b.ref).dataSync(),
        dispose: () => {
          for (const x of [a, b]) x.dispose();
          f?.dispose();
        },
      };
    },
  };
}
