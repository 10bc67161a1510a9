// jit over the random computation graphs of the property suite (test/support/graphs.ts): a
// replayed program gives f's values bit for bit, in both of its replay modes (kernels called
// directly, then lowered; through the interpreter stack under a transform), and composes with the
// transforms in both orders: grad(jit(f)), jit(grad(f)), jvp(jit(f)) equal their eager
// counterparts exactly.
import { describe, it } from 'vitest';
import { grad, jit, jvp, noGrad, tensor, type Tensor } from '@jacobi/tensor';
import { announceSeed, fc, runs } from './support/properties.js';
import { describeGraph, graphCase, graphFunction, graphHealth } from './support/graphs.js';

announceSeed('jit-graphs');

/** Bit-for-bit equality of two tensors (NaN equal to NaN), with the graph in the message. */
function assertSame(label: string, got: Tensor, want: Tensor): void {
  if (got.shape.join() !== want.shape.join() || got.dtype !== want.dtype)
    throw new Error(`${label}: ${got.dtype}[${got.shape}] vs ${want.dtype}[${want.shape}]`);
  const [a, b] = [got.data(), want.data()];
  for (let i = 0; i < b.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`${label} [${i}]: ${a[i]} vs ${b[i]}`);
}

describe('jit on random graphs', () => {
  it('replays f exactly and composes with grad and jvp in both orders', () => {
    fc.assert(
      fc.property(graphCase(), (c) => {
        const xs = c.values.map((v, i) => tensor(v, { dtype: 'float64' }).reshape(c.graph.inputs[i]!));
        // Values only need to be finite for exact comparisons; kinks do not matter here.
        if (!(noGrad(() => graphHealth(c.graph, xs)).magnitude < 1e6)) return;
        const f = graphFunction(c.graph);
        const label = describeGraph(c.graph, c.values);
        const jf = jit(f);
        const want = f(...xs);
        assertSame(`trace call\n${label}`, jf(...xs), want);
        assertSame(`replay\n${label}`, jf(...xs), want);
        // From the third call on, the WASM backend runs the recorded kernel calls (core/lowered.ts), here on new values.
        const others = xs.map((x) => x.mul(0.75).add(0.125));
        assertSame(`lowered replay\n${label}`, jf(...others), f(...others));
        assertSame(`lowered replay again\n${label}`, jf(...xs), want);
        const scalar = (...a: Tensor[]) => f(...a).sum();
        const g = grad(scalar, { argnums: xs.map((_, i) => i) })(...xs);
        const gOfJit = grad((...a: Tensor[]) => jf(...a).sum(), { argnums: xs.map((_, i) => i) })(...xs);
        const jitOfG = jit(grad(scalar, { argnums: xs.map((_, i) => i) }));
        jitOfG(...xs);
        jitOfG(...xs);
        const replayed = jitOfG(...xs);
        g.forEach((gi, i) => {
          assertSame(`grad(jit(f)) argument ${i}\n${label}`, gOfJit[i]!, gi);
          assertSame(`jit(grad(f)) argument ${i}\n${label}`, replayed[i]!, gi);
        });
        const tangents = xs.map((x) => x.mul(0.5).add(0.25));
        const [, t] = jvp(f, xs, tangents);
        const [, tj] = jvp(jf, xs, tangents);
        assertSame(`jvp(jit(f))\n${label}`, tj, t);
      }),
      { numRuns: runs(60) },
    );
  });
});
