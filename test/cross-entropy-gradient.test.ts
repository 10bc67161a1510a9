// Softmax cross-entropy's hand-derived gradient against autograd, in float64. For logits z,
// p = softmax(z) per row and a per-row target vector q (what the loss weighs −log p by), the
// loss Σᵢ −Σ_c q_ic·log p_ic / D has gradient ∂/∂z_ic = (p_ic·Σ_k q_ik − q_ic) / D. With class
// indices yᵢ, label smoothing ε, class weights w and a kept mask m (ignoreIndex):
//   q_ic = mᵢ·((1 − ε)·w_yᵢ·[c = yᵢ] + (ε/C)·w_c),  D = Σᵢ mᵢ·w_yᵢ for 'mean', 1 for 'sum';
// without weights Σ_k q_ik = 1, so the gradient is softmax − ((1 − ε)·one-hot + ε/C), over D.
// With class probabilities t: q_ic = w_c·((1 − ε)·t_ic + ε/C) and D = N.
import { describe, it } from 'vitest';
import { grad, tensor, type Tensor } from '@jacobi/tensor';
import { crossEntropy, softmaxCrossEntropy, type CrossEntropyOptions } from '@jacobi/nn';
import { announceSeed, fc, runs } from './support/properties.js';
import { assertClose } from './support/compare.js';

announceSeed('cross-entropy-gradient');

const RTOL = 1e-12;

/** Row-wise softmax on plain arrays, shifted by the row maximum. */
function softmaxRows(z: readonly number[][]): number[][] {
  return z.map((row) => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
}

/**
 * (p·Σq − q) / D, row by row, and the error scale: the largest (|p·Σq| + |q|) / D. NOTE: the
 * two terms can cancel to far below their size, where rounding is relative to the terms.
 */
function handGradient(z: readonly number[][], q: readonly number[][], divisor: number): { value: number[][]; scale: number } {
  let scale = 0;
  const value = softmaxRows(z).map((p, i) => {
    const total = q[i]!.reduce((a, b) => a + b, 0);
    return p.map((pc, c) => {
      scale = Math.max(scale, (Math.abs(pc * total) + Math.abs(q[i]![c]!)) / divisor);
      return (pc * total - q[i]![c]!) / divisor;
    });
  });
  return { value, scale };
}

/** Both autograd styles: the `grad` transform and `backward()` into `.grad`. */
function autogradBoth(f: (z: Tensor) => Tensor, z: readonly number[][]): Tensor[] {
  const functional = grad(f)(tensor(z as number[][], { dtype: 'float64' }));
  const leaf = tensor(z as number[][], { dtype: 'float64', requiresGrad: true });
  f(leaf).backward();
  return [functional, leaf.grad!];
}

const IGNORE = -100;
const caseArb = fc.record({ n: fc.integer({ min: 1, max: 5 }), c: fc.integer({ min: 2, max: 6 }) }).chain(({ n, c }) =>
  fc.record({
    z: fc.array(fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: c, maxLength: c }), { minLength: n, maxLength: n }),
    // Class indices, one in four ignored; at least the first is kept, so a mean is defined.
    y: fc
      .array(fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: c - 1 }) }, { weight: 1, arbitrary: fc.constant(IGNORE) }), {
        minLength: n,
        maxLength: n,
      })
      .map((ys) => (ys[0] === IGNORE ? [0, ...ys.slice(1)] : ys)),
    probs: fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: c, maxLength: c }), { minLength: n, maxLength: n }),
    w: fc.option(fc.array(fc.double({ min: 0.1, max: 3, noNaN: true }), { minLength: c, maxLength: c }), { nil: undefined }),
    eps: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
    reduction: fc.constantFrom('mean' as const, 'sum' as const),
  }),
);

describe('softmax cross-entropy: the hand-derived gradient equals autograd (float64)', () => {
  it('class indices: softmax − ((1 − ε)·one-hot + ε/C), with class weights and ignoreIndex', () => {
    fc.assert(
      fc.property(caseArb, ({ z, y, w, eps, reduction }) => {
        const c = z[0]!.length;
        const weight = (k: number) => (w === undefined ? 1 : w[k]!);
        const q = y.map((yi) =>
          z[0]!.map((_, k) => (yi === IGNORE ? 0 : (1 - eps) * weight(yi) * (k === yi ? 1 : 0) + (eps / c) * weight(k))),
        );
        const divisor = reduction === 'sum' ? 1 : y.reduce((a, yi) => a + (yi === IGNORE ? 0 : weight(yi)), 0);
        const expected = handGradient(z, q, divisor);
        const opts: CrossEntropyOptions = { labelSmoothing: eps, reduction };
        if (w !== undefined) opts.weight = tensor(w, { dtype: 'float64' });
        for (const g of autogradBoth((t) => crossEntropy(t, y, opts), z)) assertClose('∂CE/∂z', g, expected.value, RTOL, expected.scale);
      }),
      { numRuns: runs(100) },
    );
  });

  it('class probabilities: w ⊙ ((1 − ε)·t + ε/C) in place of the one-hot, over N', () => {
    fc.assert(
      fc.property(caseArb, ({ z, probs, w, eps, reduction }) => {
        const c = z[0]!.length;
        const q = probs.map((row) => row.map((t, k) => (w === undefined ? 1 : w[k]!) * ((1 - eps) * t + eps / c)));
        const expected = handGradient(z, q, reduction === 'sum' ? 1 : z.length);
        const opts: CrossEntropyOptions = { labelSmoothing: eps, reduction };
        if (w !== undefined) opts.weight = tensor(w, { dtype: 'float64' });
        const target = tensor(probs, { dtype: 'float64' });
        for (const g of autogradBoth((t) => crossEntropy(t, target, opts), z))
          assertClose('∂CE/∂z (probabilities)', g, expected.value, RTOL, expected.scale);
      }),
      { numRuns: runs(100) },
    );
  });

  it('softmaxCrossEntropy (classes last) has the same gradient, softmax − one-hot over N', () => {
    fc.assert(
      fc.property(caseArb, ({ z, y }) => {
        const labels = y.map((yi) => (yi === IGNORE ? 0 : yi));
        const q = labels.map((yi) => z[0]!.map((_, k) => (k === yi ? 1 : 0)));
        const expected = handGradient(z, q, z.length);
        for (const g of autogradBoth((t) => softmaxCrossEntropy(t, labels), z))
          assertClose('∂softmaxCE/∂z', g, expected.value, RTOL, expected.scale);
      }),
      { numRuns: runs(50) },
    );
  });
});
