// Derivatives at kinks and ties, where the random-graph properties stay away: the conventions
// the library documents (relu'(0) = 0, |x|'(0) = 0, maximum(x, x) splits ½ / ½, the tied
// maxima of a max reduction share the cotangent equally), checked against plain loops.
import { describe, it } from 'vitest';
import { grad, tensor, type Tensor } from '@jacobi/tensor';
import { announceSeed, fc, runs } from './support/properties.js';
import { assertClose } from './support/compare.js';

announceSeed('conventions');

// Small integers so that ties are common.
const row = fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 1, maxLength: 6 });
const t64 = (v: number[]) => tensor(v, { dtype: 'float64' });

describe('conventions at kinks and ties', () => {
  it("relu'(x) is 1 for x > 0 and 0 for x ≤ 0; |x|' is sign(x) with 0 at 0", () => {
    fc.assert(
      fc.property(row, (x) => {
        assertClose(
          'relu',
          grad((v: Tensor) => v.relu().sum())(t64(x)),
          x.map((v) => (v > 0 ? 1 : 0)),
          0,
        );
        assertClose(
          'abs',
          grad((v: Tensor) => v.abs().sum())(t64(x)),
          x.map(Math.sign).map((v) => v + 0),
          0,
        );
      }),
      { numRuns: runs(50) },
    );
  });

  it('maximum(x, y) gives the gradient to the larger input, ½ each on ties', () => {
    fc.assert(
      fc.property(row, row, (x, y0) => {
        const y = x.map((_, i) => y0[i % y0.length]!);
        const [gx, gy] = grad((a: Tensor, b: Tensor) => a.maximum(b).sum(), { argnums: [0, 1] })(t64(x), t64(y));
        assertClose(
          'maximum: x',
          gx!,
          x.map((v, i) => (v > y[i]! ? 1 : v === y[i] ? 0.5 : 0)),
          0,
        );
        assertClose(
          'maximum: y',
          gy!,
          x.map((v, i) => (y[i]! > v ? 1 : v === y[i] ? 0.5 : 0)),
          0,
        );
      }),
      { numRuns: runs(50) },
    );
  });

  it('max over an axis: the tied maxima share the cotangent equally (1/count each)', () => {
    fc.assert(
      fc.property(row, (x) => {
        const m = Math.max(...x);
        const count = x.filter((v) => v === m).length;
        assertClose(
          'max',
          grad((v: Tensor) => v.max())(t64(x)),
          x.map((v) => (v === m ? 1 / count : 0)),
          1e-15,
        );
        const lo = Math.min(...x);
        const countLo = x.filter((v) => v === lo).length;
        assertClose(
          'min',
          grad((v: Tensor) => v.min())(t64(x)),
          x.map((v) => (v === lo ? 1 / countLo : 0)),
          1e-15,
        );
      }),
      { numRuns: runs(50) },
    );
  });
});
