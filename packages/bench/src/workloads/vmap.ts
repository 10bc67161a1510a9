// W10: vmap against the loops it replaces, float32. Per-example gradients of a 784-256-10
// MLP (tanh hidden layer, squared error) for a batch of 128: `vmap(grad(loss))` in one batched
// pass, and the loop of 128 `grad` calls; and the Jacobian of a [64] → [64] function:
// `jacobian` (vmap of the pullback over the output basis), and the loop of one pullback per
// basis vector. jacobi only: the peers have no vmap (their rows are blank).
import { grad, jacobian, randn, rng, stack, tensor, vjp, vmap, type Tensor } from '@jacobi/tensor';
import type { BenchCase, Sizes } from './types.js';

const PEER_NOTE = 'jacobi only (vmap against its loop)';

export function vmapCases(sizes: Sizes): BenchCase[] {
  const { batch, widths, jacobianSize } = sizes.vmap;
  const [nIn, nHidden, nOut] = widths as [number, number, number];
  let data: { params: Tensor[]; x: Tensor; t: Tensor } | null = null;
  const inputs = () => {
    const r = rng(31);
    data ??= {
      params: [
        randn([nIn, nHidden], { rng: r }).mul(1 / Math.sqrt(nIn)),
        randn([nHidden], { rng: r }).mul(0.1),
        randn([nHidden, nOut], { rng: r }).mul(1 / Math.sqrt(nHidden)),
        randn([nOut], { rng: r }).mul(0.1),
      ],
      x: randn([batch, nIn], { rng: r }),
      t: randn([batch, nOut], { rng: r }),
    };
    return data;
  };
  // One example's loss: ½‖tanh(x W₁ + b₁) W₂ + b₂ − t‖².
  const loss = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, x: Tensor, t: Tensor) =>
    x.matmul(w1).add(b1).tanh().matmul(w2).add(b2).sub(t).square().sum().mul(0.5);
  const perExample = grad(loss, { argnums: [0, 1, 2, 3] });
  const mlp = `MLP ${widths.join('-')}, batch ${batch}`;
  const vmapped: BenchCase = {
    workload: 'W10',
    title: 'per-example gradients, vmap(grad)',
    size: mlp,
    dtype: 'float32',
    unit: 'ms',
    peerNote: PEER_NOTE,
    jacobi() {
      const { params, x, t } = inputs();
      const run = vmap(perExample, { inAxes: [null, null, null, null, 0, 0] });
      return { run: () => void run(...params, x, t) };
    },
  };
  const looped: BenchCase = {
    workload: 'W10',
    title: 'per-example gradients, loop of grad',
    size: mlp,
    dtype: 'float32',
    unit: 'ms',
    peerNote: PEER_NOTE,
    baseline: `W10 ${vmapped.title} ${mlp}`,
    ratioLabel: 'loop time = {}× vmap',
    jacobi() {
      const { params, x, t } = inputs();
      return {
        run: () => {
          const gs = Array.from({ length: batch }, (_, i) => perExample(...params, x.index(i), t.index(i)));
          params.forEach((_, k) => stack(gs.map((g) => g[k]!)));
        },
      };
    },
  };

  // f(x) = tanh(W x) ⊙ x + sin(x): a dense Jacobian.
  const r = rng(32);
  const w = randn([jacobianSize, jacobianSize], { rng: r }).mul(1 / Math.sqrt(jacobianSize));
  const x0 = randn([jacobianSize], { rng: r });
  const f = (x: Tensor) => w.matmul(x).tanh().mul(x).add(x.sin());
  const square = `[${jacobianSize}] -> [${jacobianSize}]`;
  const batched: BenchCase = {
    workload: 'W10',
    title: 'jacobian, one batched pass',
    size: square,
    dtype: 'float32',
    unit: 'ms',
    peerNote: PEER_NOTE,
    jacobi: () => ({ run: () => void jacobian(f)(x0) }),
  };
  const basisLoop: BenchCase = {
    workload: 'W10',
    title: 'jacobian, loop over basis vectors',
    size: square,
    dtype: 'float32',
    unit: 'ms',
    peerNote: PEER_NOTE,
    baseline: `W10 ${batched.title} ${square}`,
    ratioLabel: 'loop time = {}× batched',
    jacobi() {
      const basis = Array.from({ length: jacobianSize }, (_, i) =>
        tensor(Float32Array.from({ length: jacobianSize }, (_, j) => (i === j ? 1 : 0))),
      );
      return {
        run: () => {
          const [, pullback] = vjp(f, x0);
          stack(basis.map((e) => pullback(e)[0]!));
        },
      };
    },
  };
  return [vmapped, looped, batched, basisLoop];
}
