// W2: the fused-looking elementwise chain tanh(a·b + c) over a million elements.
import { randn, rng, type Tensor } from '@jacobi/tensor';
import type { BenchCase, Sizes } from './types.js';
import { toJax, toTf } from './convert.js';
import type { JaxArray } from '../frameworks.js';

export function elementwiseCase(sizes: Sizes): BenchCase {
  const n = sizes.elementwise;
  let data: Tensor[] | null = null;
  const operands = (): Tensor[] => {
    const r = rng(11);
    return (data ??= [0, 1, 2].map(() => randn([n], { rng: r })));
  };
  return {
    workload: 'W2',
    title: 'tanh(a*b+c)',
    size: `${n.toExponential(0).replace('+', '')} elems`,
    dtype: 'float32',
    unit: 'ms',
    jacobi() {
      const [a, b, c] = operands() as [Tensor, Tensor, Tensor];
      return { run: () => void a.mul(b).add(c).tanh() };
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
    jaxjs(jax, mode) {
      const [a, b, c] = operands().map((t) => toJax(jax, t)) as [JaxArray, JaxArray, JaxArray];
      const chain = (x: JaxArray, y: JaxArray, z: JaxArray): JaxArray => jax.numpy.tanh(x.mul(y).add(z));
      const f = mode === 'jit' ? jax.jit(chain) : null;
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
