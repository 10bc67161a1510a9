// W2: the fused-looking elementwise chain tanh(a·b + c) over a million elements.
import { jit, randn, rng, type Tensor } from '@jacobi/tensor';
import type { BenchCase, Sizes } from './types.js';
import { toJax, toTf } from './convert.js';
import type { JaxArray } from '../frameworks.js';

/** W2 eagerly, or (`'jit'`) through jit, whose replay runs the chain as fused kernels. */
export function elementwiseCase(sizes: Sizes, mode: 'eager' | 'jit' = 'eager'): BenchCase {
  const n = sizes.elementwise;
  let data: Tensor[] | null = null;
  const operands = (): Tensor[] => {
    const r = rng(11);
    return (data ??= [0, 1, 2].map(() => randn([n], { rng: r })));
  };
  return {
    workload: 'W2',
    title: mode === 'jit' ? 'tanh(a*b+c), jit' : 'tanh(a*b+c)',
    size: `${n.toExponential(0).replace('+', '')} elems`,
    dtype: 'float32',
    unit: 'ms',
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
