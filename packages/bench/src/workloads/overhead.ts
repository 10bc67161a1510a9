// W5: the cost of one tiny op: sequential adds of two [4] tensors, plain, recorded on the
// imperative graph, and recorded then differentiated (tfjs records only inside tf.grad).
import { randn, rng, tensor, type Tensor } from '@jacobi/tensor';
import type { BenchCase, Sizes } from './types.js';
import { toJax, toTf } from './convert.js';
import type { JaxArray } from '../frameworks.js';

type Mode = 'plain' | 'recorded' | 'recorded+backward';

function addChainCase(n: number, mode: Mode): BenchCase {
  const r = rng(5);
  const a = randn([4], { rng: r });
  const b = randn([4], { rng: r });
  const chain = (x: Tensor): Tensor => {
    let c = x;
    for (let i = 0; i < n; i++) c = c.add(b);
    return c;
  };
  return {
    workload: 'W5',
    title: `add [4] ${mode}`,
    size: `${n} adds`,
    dtype: 'float32',
    unit: 'µs/op',
    ops: n,
    jacobi() {
      if (mode === 'plain') return { run: () => void chain(a) };
      const leaf = tensor(a.data(), { requiresGrad: true });
      if (mode === 'recorded') return { run: () => void chain(leaf) };
      return {
        run: () => {
          chain(leaf).sum().backward();
          leaf.grad = null;
        },
      };
    },
    tfjs:
      mode === 'recorded'
        ? undefined
        : (tf) => {
            const [x, y] = [toTf(tf, a), toTf(tf, b)];
            const chainTf = (v: typeof x) => {
              let c = v;
              for (let i = 0; i < n; i++) c = tf.add(c, y);
              return c;
            };
            const gradient = tf.grad((v) => tf.sum(chainTf(v)));
            return {
              run:
                mode === 'plain'
                  ? () =>
                      tf.tidy(() => {
                        chainTf(x);
                      })
                  : () =>
                      tf.tidy(() => {
                        gradient(x);
                      }),
              dispose: () => tf.dispose([x, y]),
            };
          },
    jaxjs(jax, jaxMode) {
      if (mode === 'recorded') return 'jax-js records only inside grad';
      const [x, y] = [toJax(jax, a), toJax(jax, b)];
      // jit: each add is one call of a jit-compiled add (the per-call cost of a jitted op), not
      // the whole chain compiled into one kernel, which would no longer measure per-op overhead.
      const jitted = jaxMode === 'jit' ? jax.jit((u: JaxArray, v: JaxArray) => u.add(v)) : null;
      const add = jitted ?? ((u: JaxArray, v: JaxArray) => u.add(v));
      const chainJax = (v: JaxArray): JaxArray => {
        let c = v;
        for (let i = 0; i < n; i++) c = add(c, y.ref);
        return c;
      };
      const gradient = jax.grad((v: JaxArray) => jax.numpy.sum(chainJax(v)));
      return {
        run: () => void (mode === 'plain' ? chainJax(x.ref) : gradient(x.ref)).dataSync(),
        dispose: () => {
          x.dispose();
          y.dispose();
          jitted?.dispose();
        },
      };
    },
    peerNote: mode === 'recorded' ? 'tfjs records only inside tf.grad' : undefined,
  };
}

export function overheadCases(sizes: Sizes): BenchCase[] {
  return (['plain', 'recorded', 'recorded+backward'] as const).map((mode) => addChainCase(sizes.adds, mode));
}
