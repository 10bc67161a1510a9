// The hand-derived backward formulas of the normalisation and attention layers, written out with
// plain loops, against autodiff through the @jacobi/nn modules and @jacobi/tensor's attention,
// in float64. Each case draws the input and a cotangent G, and the loss is L = Σ y·G, so ∂L/∂y = G.
//
// Layer norm over a row x of length D (and batch norm over a column of N samples, in training):
//   μ = mean x, σ² = mean (x − μ)² (biased), s = √(σ² + ε), x̂ = (x − μ)/s, y = γ x̂ + β.
//   With g = G γ:  dx = (D g − Σ g − x̂ Σ (g x̂)) / (D s),  dγ = Σ G x̂,  dβ = Σ G
//   (the sums over the normalised axis for dx, over the other axis for dγ and dβ).
// Attention O = P V with P = softmax(S) row-wise, S = c Q Kᵀ (+ mask):
//   dV = Pᵀ G,  dP = G Vᵀ,  dS = P ⊙ (dP − rowsum(P ⊙ dP)),  dQ = c dS K,  dK = c dSᵀ Q.
import { describe, it } from 'vitest';
import { noGrad, scaledDotProductAttention, tensor, type Tensor } from '@jacobi/tensor';
import { BatchNorm1d, LayerNorm } from '@jacobi/nn';
import { assertClose } from './support/compare.js';
import * as M from './support/matrix.js';
import { announceSeed, fc, runs } from './support/properties.js';
import { matrix, vector } from './support/seed-arbitraries.js';

announceSeed('norm-attention-formulas');

const EPS = 1e-5;
const RTOL = 1e-9;
/** Where a whole gradient cancels to about 0 (one key: dS = 0), compare absolutely at this scale. */
const FLOOR = 1e-6;

interface NormCase {
  readonly x: M.Matrix; // rows × cols
  readonly g: M.Matrix; // the cotangent, same shape
  readonly gamma: number[];
  readonly beta: number[];
}

/** x [n, d] with γ, β of length `affineLength` (d for layer norm, d again for batch norm's features). */
const normCase = (transposeSpread: boolean): fc.Arbitrary<NormCase> =>
  fc
    .record({ n: fc.integer({ min: 2, max: 6 }), d: fc.integer({ min: 2, max: 6 }) })
    .chain(({ n, d }) => fc.record({ x: matrix(n, d), g: matrix(n, d), gamma: vector(d), beta: vector(d) }))
    // NOTE: rows (or columns) that are almost constant make x̂ ill-conditioned; keep their spread ≥ 0.05.
    .filter((c) => (transposeSpread ? M.transpose(c.x) : c.x).every((r) => Math.max(...r) - Math.min(...r) > 0.05));

/** The normalisation statistics and x̂ of each line (a row of `lines`). */
function normalise(lines: M.Matrix): { xhat: M.Matrix; s: number[] } {
  const s: number[] = [];
  const xhat = lines.map((r) => {
    const mu = r.reduce((a, b) => a + b, 0) / r.length;
    const variance = r.reduce((a, v) => a + (v - mu) ** 2, 0) / r.length;
    const si = Math.sqrt(variance + EPS);
    s.push(si);
    return r.map((v) => (v - mu) / si);
  });
  return { xhat, s };
}

/** dx of each line by the closed form, given the cotangent of x̂ (g = G γ) per line. */
function closedFormDx(xhat: M.Matrix, s: number[], gHat: M.Matrix): M.Matrix {
  return xhat.map((r, i) => {
    const D = r.length;
    const sumG = gHat[i]!.reduce((a, b) => a + b, 0);
    const sumGX = gHat[i]!.reduce((a, gv, j) => a + gv * r[j]!, 0);
    return r.map((xh, j) => (D * gHat[i]![j]! - sumG - xh * sumGX) / (D * s[i]!));
  });
}

/** Sets a module's γ and β and returns the gradients of Σ y·G w.r.t. x, γ, β. */
function autodiff(module: LayerNorm | BatchNorm1d, c: NormCase): { dx: Tensor; dGamma: Tensor; dBeta: Tensor } {
  noGrad(() => {
    module.weight!.assign(tensor(c.gamma, { dtype: 'float64' }));
    module.bias!.assign(tensor(c.beta, { dtype: 'float64' }));
  });
  const x = tensor(c.x, { dtype: 'float64', requiresGrad: true });
  module
    .forward(x)
    .mul(tensor(c.g, { dtype: 'float64' }))
    .sum()
    .backward();
  return { dx: x.grad!, dGamma: module.weight!.grad!, dBeta: module.bias!.grad! };
}

describe('layer norm, y = γ (x − μ)/√(σ² + ε) + β over each row', () => {
  it('dX is the closed form (D g − Σg − x̂ Σ g x̂)/(D s), dγ = Σ G x̂, dβ = Σ G', () => {
    fc.assert(
      fc.property(normCase(false), (c) => {
        const { xhat, s } = normalise(c.x);
        const gHat = c.g.map((r) => r.map((v, j) => v * c.gamma[j]!));
        const got = autodiff(new LayerNorm(c.x[0]!.length, { dtype: 'float64', eps: EPS }), c);
        assertClose('dX', got.dx, closedFormDx(xhat, s, gHat), RTOL, FLOOR);
        assertClose('dγ', got.dGamma, M.columnSums(M.zipWith(c.g, xhat, (a, b) => a * b)), RTOL, FLOOR);
        assertClose('dβ', got.dBeta, M.columnSums(c.g), RTOL, FLOOR);
      }),
      { numRuns: runs(100) },
    );
  });
});

describe('batch norm in training mode, over each column (feature) of a [N, C] batch', () => {
  it('dX is the same closed form along the batch, dγ = Σₙ G x̂, dβ = Σₙ G', () => {
    fc.assert(
      fc.property(normCase(true), (c) => {
        // The columns are the lines normalised: work on the transpose and transpose back.
        const { xhat, s } = normalise(M.transpose(c.x));
        const gHat = M.transpose(c.g).map((r, j) => r.map((v) => v * c.gamma[j]!));
        const got = autodiff(new BatchNorm1d(c.x[0]!.length, { dtype: 'float64', eps: EPS }), c);
        assertClose('dX', got.dx, M.transpose(closedFormDx(xhat, s, gHat)), RTOL, FLOOR);
        const gT = M.transpose(c.g);
        assertClose(
          'dγ',
          got.dGamma,
          gT.map((r, j) => r.reduce((a, v, n) => a + v * xhat[j]![n]!, 0)),
          RTOL,
          FLOOR,
        );
        assertClose(
          'dβ',
          got.dBeta,
          gT.map((r) => r.reduce((a, b) => a + b, 0)),
          RTOL,
          FLOOR,
        );
      }),
      { numRuns: runs(100) },
    );
  });
});

interface AttentionCase {
  readonly q: M.Matrix; // L × E
  readonly k: M.Matrix; // S × E
  readonly v: M.Matrix; // S × Ev
  readonly g: M.Matrix; // L × Ev
  readonly causal: boolean;
}

const attentionCase: fc.Arbitrary<AttentionCase> = fc
  .record({
    l: fc.integer({ min: 1, max: 5 }),
    s: fc.integer({ min: 1, max: 5 }),
    e: fc.integer({ min: 1, max: 4 }),
    ev: fc.integer({ min: 1, max: 4 }),
    causal: fc.boolean(),
  })
  .chain(({ l, s, e, ev, causal }) =>
    fc.record({ q: matrix(l, e), k: matrix(s, e), v: matrix(s, ev), g: matrix(l, ev), causal: fc.constant(causal) }),
  );

/** dQ, dK, dV of Σ O·G by the softmax Jacobian, in plain loops. */
function attentionGradients({ q, k, v, g, causal }: AttentionCase): { dq: M.Matrix; dk: M.Matrix; dv: M.Matrix } {
  const c = 1 / Math.sqrt(q[0]!.length);
  const scores = M.map(M.matmul(q, M.transpose(k)), (x) => x * c);
  const p = scores.map((row, i) => {
    const kept = row.map((x, j) => (causal && j > i ? Number.NEGATIVE_INFINITY : x));
    const m = Math.max(...kept);
    const e = kept.map((x) => Math.exp(x - m));
    const total = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / total);
  });
  const dv = M.matmul(M.transpose(p), g);
  const dp = M.matmul(g, M.transpose(v));
  const ds = p.map((row, i) => {
    const dot = row.reduce((a, pij, j) => a + pij * dp[i]![j]!, 0);
    return row.map((pij, j) => pij * (dp[i]![j]! - dot));
  });
  return { dq: M.map(M.matmul(ds, k), (x) => x * c), dk: M.map(M.matmul(M.transpose(ds), q), (x) => x * c), dv };
}

describe('scaled dot-product attention, O = softmax(Q Kᵀ/√E (+ causal mask)) V', () => {
  it('dQ, dK and dV follow from dO through the softmax Jacobian', () => {
    fc.assert(
      fc.property(
        // A causal mask needs S ≥ L, so that every query keeps a key.
        attentionCase.filter((c) => !c.causal || c.k.length >= c.q.length),
        (c) => {
          const expected = attentionGradients(c);
          const [q, k, v] = [c.q, c.k, c.v].map((m) => tensor(m, { dtype: 'float64', requiresGrad: true })) as [Tensor, Tensor, Tensor];
          scaledDotProductAttention(q, k, v, { isCausal: c.causal })
            .mul(tensor(c.g, { dtype: 'float64' }))
            .sum()
            .backward();
          assertClose('dQ', q.grad!, expected.dq, RTOL, FLOOR);
          assertClose('dK', k.grad!, expected.dk, RTOL, FLOOR);
          assertClose('dV', v.grad!, expected.dv, RTOL, FLOOR);
        },
      ),
      { numRuns: runs(100) },
    );
  });
});
