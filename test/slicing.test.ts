// Strided slices (steps of any size and sign) in both modes, against plain index loops: the JVP
// of a slice is the same slice of the tangent, and its VJP scatters the cotangent back into
// zeros at the positions the slice read.
import { describe, it } from 'vitest';
import { jvp, tensor, vjp, type Tensor } from '@jacobi/tensor';
import { announceSeed, fc, runs } from './support/properties.js';
import { assertClose } from './support/compare.js';

announceSeed('slicing');

/** The positions a Python slice [start::step] reads from a sequence of length n. */
function positions(n: number, start: number, step: number): number[] {
  const out: number[] = [];
  for (let i = start; step > 0 ? i < n : i >= 0; i += step) out.push(i);
  return out;
}

const cases = fc.integer({ min: 1, max: 9 }).chain((n) =>
  fc.record({
    values: fc.array(fc.integer({ min: -9, max: 9 }), { minLength: n, maxLength: n }),
    tangent: fc.array(fc.integer({ min: -9, max: 9 }), { minLength: n, maxLength: n }),
    start: fc.integer({ min: 0, max: n - 1 }),
    step: fc.constantFrom(-3, -2, -1, 1, 2, 3),
  }),
);

describe('strided slices', () => {
  it('JVP is the slice of the tangent; VJP scatters into the read positions', () => {
    fc.assert(
      fc.property(cases, ({ values, tangent, start, step }) => {
        const n = values.length;
        const picked = positions(n, start, step);
        const f = (x: Tensor) => x.slice(0, start, undefined, step);
        const x = tensor(values, { dtype: 'float64' });
        const [out, dOut] = jvp(f, [x], [tensor(tangent, { dtype: 'float64' })]);
        assertClose('slice value', out, picked.map((i) => values[i]!), 0);
        assertClose('slice JVP', dOut, picked.map((i) => tangent[i]!), 0);
        const cotangent = picked.map((_, k) => k + 1);
        const [, pullback] = vjp(f, x);
        const expected = new Array<number>(n).fill(0);
        picked.forEach((i, k) => (expected[i] = cotangent[k]!));
        assertClose('slice VJP', pullback(tensor(cotangent, { dtype: 'float64' }))[0]!, expected, 0);
      }),
      { numRuns: runs(100) },
    );
  });
});
