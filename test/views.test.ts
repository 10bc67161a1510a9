// Views in both modes, against plain index loops. Strided slices (steps of any size and sign):
// the JVP is the same slice of the tangent, the VJP scatters the cotangent back into zeros at
// the positions read. Transposes by any permutation (cyclic ones are not their own inverse):
// the VJP applies the inverse permutation.
import { describe, it } from 'vitest';
import { jvp, tensor, vjp, type Tensor } from '@jacobi/tensor';
import { announceSeed, fc, runs } from './support/properties.js';
import { assertClose } from './support/compare.js';

announceSeed('views');

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
        assertClose(
          'slice value',
          out,
          picked.map((i) => values[i]!),
          0,
        );
        assertClose(
          'slice JVP',
          dOut,
          picked.map((i) => tangent[i]!),
          0,
        );
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

/** All permutations of 0..n-1. */
function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

const transposeCases = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      perm: fc.constantFrom(...permutations(3)),
      cotangentSeed: fc.integer({ min: 1, max: 7 }),
    }),
  );

describe('transposes', () => {
  it('the VJP of transpose(perm) moves each cotangent entry back to where its value came from', () => {
    fc.assert(
      fc.property(transposeCases, ({ shape, perm, cotangentSeed }) => {
        const [a, b, c] = shape;
        const size = a! * b! * c!;
        const x = tensor(
          Array.from({ length: size }, (_, i) => i),
          { dtype: 'float64' },
        ).reshape(shape);
        const outShape = perm.map((p) => shape[p]!);
        const g = Array.from({ length: size }, (_, k) => (k * cotangentSeed) % 11);
        const [out, pullback] = vjp((v: Tensor) => v.transpose(perm), x);
        const outValues = Array.from(out.data());
        const expected = new Array<number>(size).fill(0);
        // out element k holds input element outValues[k] (the input holds its own flat index),
        // so its cotangent belongs there.
        outValues.forEach((source, k) => (expected[source] = g[k]!));
        const gx = pullback(tensor(g, { dtype: 'float64' }).reshape(outShape))[0]!;
        assertClose('transpose VJP', gx.reshape([-1]), expected, 0);
        const [, dOut] = jvp((v: Tensor) => v.transpose(perm), [x], [x]);
        assertClose('transpose JVP', dOut.reshape([-1]), outValues, 0);
      }),
      { numRuns: runs(100) },
    );
  });
});
