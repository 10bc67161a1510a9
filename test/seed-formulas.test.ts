// The seed's hand-derived gradients (/work/shared/seed: "How to implement NN from scratch")
// against every way the library computes them. Read this file next to test/README.md: each
// property checks one formula of the derivation.
import { describe, it } from 'vitest';
import { grad, jacobian, jvp, tensor, valueAndGrad, vjp, type FloatDType, type Tensor } from '@jacobi/tensor';
import { announceSeed, fc, runs } from './support/properties.js';
import { assertClose, assertNumberClose, assertWithinScale } from './support/compare.js';
import { kinkMargin, seedBackprop, type SeedBackprop } from './support/seed-reference.js';
import { describeCase, matrix, seedCase, vector, type SeedCase } from './support/seed-arbitraries.js';
import { buildNetwork, matrixTensor, type Network } from './support/network.js';
import * as M from './support/matrix.js';

announceSeed('seed-formulas');

/** Tolerances of the issue: about 1e-12 relative in float64, 1e-4 in float32. */
const RTOL: Record<FloatDType, number> = { float64: 1e-12, float32: 1e-4 };

interface Prepared {
  readonly c: SeedCase;
  readonly ref: SeedBackprop;
  readonly net: Network;
  readonly x0: Tensor;
  readonly t: Tensor;
  readonly f: (...params: Tensor[]) => Tensor;
}

/**
 * Builds the network of a case and its reference derivation, or returns null when a relu or
 * leakyRelu input lies within 1e-6 of the kink at 0, where f' does not exist (the property
 * then skips the case: "inputs kept away from 0").
 */
function prepare(c: SeedCase, dtype: FloatDType): Prepared | null {
  const ref = seedBackprop(c.layers, c.x0, c.t);
  if (kinkMargin(c.layers, ref.zs) < 1e-6) return null;
  const net = buildNetwork(c.layers, dtype);
  const x0 = matrixTensor(c.x0, dtype);
  const t = matrixTensor(c.t, dtype);
  return { c, ref, net, x0, t, f: (...ps) => net.loss(ps, x0, t) };
}

/** The reference gradients in the network's parameter order (W₁, b₁, W₂, b₂, W₃, b₃), or their error scales. */
function referenceGradients(p: Prepared, which: 'values' | 'scales' = 'values'): (M.Matrix | number[])[] {
  const src = which === 'values' ? p.ref : p.ref.scales;
  const out: (M.Matrix | number[])[] = [];
  p.net.index.forEach(({ bias }, i) => {
    out.push(src.dWeights[i]!);
    if (bias >= 0) out.push(src.dBiases[i]!);
  });
  return out;
}

/** Checks one gradient per parameter against the seed's formulas, naming each. */
function checkGradients(how: string, p: Prepared, grads: readonly (Tensor | null)[], dtype: FloatDType): void {
  const expected = referenceGradients(p);
  const scales = referenceGradients(p, 'scales');
  if (grads.length !== expected.length) throw new Error(`${how}: ${grads.length} gradients for ${expected.length} parameters`);
  p.net.index.forEach(({ weight, bias }, i) => {
    const layer = i + 1;
    const g = grads[weight];
    if (g === null || g === undefined) throw new Error(`${how}: no gradient for W${layer}`);
    assertWithinScale(
      `${how}: ∂E/∂W${layer} = X${layer - 1}ᵀδ${layer} (${describeCase(p.c)})`,
      g,
      expected[weight]!,
      scales[weight]!,
      RTOL[dtype],
    );
    if (bias >= 0) {
      const gb = grads[bias];
      if (gb === null || gb === undefined) throw new Error(`${how}: no gradient for b${layer}`);
      assertWithinScale(
        `${how}: ∂E/∂b${layer} = column sums of δ${layer} (${describeCase(p.c)})`,
        gb,
        expected[bias]!,
        scales[bias]!,
        RTOL[dtype],
      );
    }
  });
}

const argnumsOf = (p: Prepared) => p.net.params.map((_, i) => i);

for (const dtype of ['float64', 'float32'] as const) {
  describe(`the seed's gradients of E = ½‖X₃ − T‖² (${dtype})`, () => {
    const cases = seedCase(dtype);

    it('backward() fills each .grad with the seed formula, with the shape of its parameter', () => {
      fc.assert(
        fc.property(cases, (c) => {
          const p = prepare(c, dtype);
          if (p === null) return fc.pre(false);
          p.f(...p.net.params).backward();
          checkGradients(
            'backward()',
            p,
            p.net.params.map((w) => w.grad),
            dtype,
          );
          // The seed's statement of the shapes: W₃ is h2×od, W₂ is h1×h2, W₁ is id×h1.
          const { id, h1, h2, od } = c.sizes;
          const shapes = p.net.index.map(({ weight }) => p.net.params[weight]!.grad!.shape.join('×'));
          const stated = [`${id}×${h1}`, `${h1}×${h2}`, `${h2}×${od}`];
          if (shapes.join() !== stated.join())
            throw new Error(`gradient shapes ${shapes.join(', ')}, the seed states ${stated.join(', ')}`);
        }),
        { numRuns: runs(dtype === 'float64' ? 150 : 60) },
      );
    });

    it('grad, valueAndGrad and vjp give the same gradients, and E itself', () => {
      fc.assert(
        fc.property(cases, (c) => {
          const p = prepare(c, dtype);
          if (p === null) return fc.pre(false);
          const argnums = argnumsOf(p);
          checkGradients('grad', p, grad(p.f, { argnums })(...p.net.params), dtype);
          const [value, grads] = valueAndGrad(p.f, { argnums })(...p.net.params);
          assertNumberClose('valueAndGrad: E = ½‖X₃ − T‖²', value.item(), p.ref.loss, RTOL[dtype], p.ref.scales.loss);
          checkGradients('valueAndGrad', p, grads, dtype);
          const [out, pullback] = vjp(p.f, ...p.net.params);
          assertNumberClose('vjp: E', out.item(), p.ref.loss, RTOL[dtype], p.ref.scales.loss);
          checkGradients('vjp (pullback of 1)', p, pullback(1), dtype);
        }),
        { numRuns: runs(dtype === 'float64' ? 100 : 40) },
      );
    });

    it('forward mode: the jvp of E along directions V equals Σᵢ⟨∂E/∂Wᵢ, Vᵢ⟩', () => {
      const withDirections = cases.chain((c) =>
        fc.record({
          c: fc.constant(c),
          directions: fc.tuple(
            ...c.layers.flatMap((l) => [
              matrix(l.weight.length, l.weight[0]!.length, dtype),
              ...(l.bias === null ? [] : [vector(l.bias.length, dtype).map((v) => [v])]),
            ]),
          ),
        }),
      );
      fc.assert(
        fc.property(withDirections, ({ c, directions }) => {
          const p = prepare(c, dtype);
          if (p === null) return fc.pre(false);
          const vs = directions.map((d, i) => (p.net.params[i]!.ndim === 1 ? d[0]! : d));
          const tangents = vs.map((v) => tensor(v as number[][], { dtype }));
          const [value, dE] = jvp(p.f, p.net.params, tangents);
          assertNumberClose('jvp: E', value.item(), p.ref.loss, RTOL[dtype], p.ref.scales.loss);
          // Σᵢ⟨∂E/∂Wᵢ, Vᵢ⟩ from the seed's gradients, and the scale of its terms for the tolerance.
          const expected = referenceGradients(p);
          const scales = referenceGradients(p, 'scales');
          const asMatrix = (i: number, m: unknown) => (p.net.params[i]!.ndim === 1 ? [m] : m) as M.Matrix;
          let sum = 0;
          let scale = 0;
          expected.forEach((g, i) => {
            sum += M.inner(asMatrix(i, g), asMatrix(i, vs[i]));
            scale += M.inner(asMatrix(i, scales[i]), M.map(asMatrix(i, vs[i]), Math.abs));
          });
          assertNumberClose(`jvp: dE = Σ⟨∂E/∂Wᵢ, Vᵢ⟩ (${describeCase(c)})`, dE.item(), sum, RTOL[dtype], scale);
        }),
        { numRuns: runs(dtype === 'float64' ? 100 : 40) },
      );
    });
  });
}

describe('backward() accumulates', () => {
  it('gradients of two mini-batches add up to the gradient of the whole batch', () => {
    fc.assert(
      fc.property(seedCase('float64'), fc.integer({ min: 0, max: 7 }), (c, cut) => {
        const p = prepare(c, 'float64');
        if (p === null) return fc.pre(false);
        // E over the whole batch is the sum of E over the rows before and after the cut,
        // so two backward() calls must accumulate to the whole batch's seed formula.
        const k = Math.min(cut, c.sizes.n);
        const rows = (m: M.Matrix, a: number, b: number) => matrixTensor(m.slice(a, b).length ? m.slice(a, b) : [], 'float64');
        for (const [a, b] of [
          [0, k],
          [k, c.sizes.n],
        ] as const) {
          if (a === b) continue;
          p.net.loss(p.net.params, rows(c.x0, a, b), rows(c.t, a, b)).backward();
        }
        checkGradients(
          'two backward() calls',
          p,
          p.net.params.map((w) => w.grad),
          'float64',
        );
      }),
      { numRuns: runs(60) },
    );
  });
});

describe("the seed's intermediate facts", () => {
  const dims = fc.record({ n: fc.integer({ min: 1, max: 5 }), d: fc.integer({ min: 1, max: 5 }), c: fc.integer({ min: 1, max: 5 }) });

  it('y = xW: the Jacobian ∂y/∂x is W (the seed writes it with x indexing rows: jacobian(...)[j][i] = Wᵢⱼ)', () => {
    fc.assert(
      fc.property(
        dims.chain(({ d, c }) => fc.tuple(vector(d), matrix(d, c))),
        ([x, w]) => {
          const W = matrixTensor(w, 'float64');
          for (const mode of ['reverse', 'forward'] as const) {
            const J = jacobian((v) => v.matmul(W), { mode })(tensor(x, { dtype: 'float64' }));
            // jacobian is [out, in]: J[j][i] = ∂yⱼ/∂xᵢ = Wᵢⱼ, i.e. J = Wᵀ.
            assertClose(`jacobian ${mode}: ∂yⱼ/∂xᵢ = Wᵢⱼ`, J, M.transpose(w), 1e-15);
          }
        },
      ),
      { numRuns: runs(50) },
    );
  });

  it('y = xW: ∂yⱼ/∂Wᵢₖ is xᵢ where k = j and 0 elsewhere (the 3-d array F of the seed)', () => {
    fc.assert(
      fc.property(
        dims.chain(({ d, c }) => fc.tuple(vector(d), matrix(d, c))),
        ([x, w]) => {
          const xv = tensor(x, { dtype: 'float64' });
          const F = jacobian((W) => xv.matmul(W))(matrixTensor(w, 'float64'));
          const c = w[0]!.length;
          const expected = Array.from({ length: c }, (_, j) => w.map((_, i) => Array.from({ length: c }, (_, k) => (k === j ? x[i]! : 0))));
          assertClose('∂yⱼ/∂Wᵢₖ', F, expected, 1e-15);
        },
      ),
      { numRuns: runs(50) },
    );
  });

  it('Y = XW: ∂Y_{a,:}/∂X_{c,:} is Wᵀ for a = c and 0 for a ≠ c', () => {
    fc.assert(
      fc.property(
        dims.chain(({ n, d, c }) => fc.tuple(matrix(n, d), matrix(d, c))),
        ([x, w]) => {
          const W = matrixTensor(w, 'float64');
          const n = x.length;
          const d = w.length;
          const c = w[0]!.length;
          for (const mode of ['reverse', 'forward'] as const) {
            const J = jacobian((X) => X.matmul(W), { mode })(matrixTensor(x, 'float64')); // [n, c, n, d]
            const wt = M.transpose(w);
            const expected = Array.from({ length: n }, (_, a) =>
              Array.from({ length: c }, (_, j) =>
                Array.from({ length: n }, (_, r) => Array.from({ length: d }, (_, k) => (a === r ? wt[j]![k]! : 0))),
              ),
            );
            assertClose(`jacobian ${mode} of XW: blocks Wᵀ on the diagonal`, J, expected, 1e-15);
          }
        },
      ),
      { numRuns: runs(50) },
    );
  });
});
