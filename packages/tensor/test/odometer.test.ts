// The shared odometer against the definition: element p of a shape lives at offset + Σ p[d]·strides[d],
// visited in row-major order, whatever axes the walk merges.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachElement, forEachRow, type Strided } from '../src/backend/odometer.js';

/** The offsets of every element of `shape` in `view`, in row-major order, one index at a time. */
function reference(shape: readonly number[], view: Strided): number[] {
  const total = shape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = 0; i < total; i++) {
    let rest = i;
    let offset = view.offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      offset += (rest % shape[d]!) * view.strides[d]!;
      rest = Math.floor(rest / shape[d]!);
    }
    out.push(offset);
  }
  return out;
}

// Shapes with size-1 and size-0 axes; strides that merge (contiguous), broadcast (0) or run backwards.
const walk = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }).chain((shape) =>
  fc.record({
    shape: fc.constant(shape),
    views: fc.array(
      fc.record({
        offset: fc.integer({ min: 0, max: 50 }),
        strides: fc.oneof(
          fc.constant(shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1))),
          fc.array(fc.integer({ min: -6, max: 6 }), { minLength: shape.length, maxLength: shape.length }),
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
);

describe('the odometer', () => {
  it('forEachRow visits every element once, in row-major order, at its offset in every view', () => {
    fc.assert(
      fc.property(walk, ({ shape, views }) => {
        const got: number[][] = views.map(() => []);
        const outs: number[] = [];
        forEachRow(shape, views, (starts, n, o, steps) => {
          for (let j = 0; j < n; j++) {
            outs.push(o + j);
            views.forEach((_, v) => got[v]!.push(starts[v]! + j * steps[v]!));
          }
        });
        const want = views.map((v) => reference(shape, v));
        expect(got).toEqual(want);
        expect(outs).toEqual(want[0]!.map((_, i) => i));
      }),
    );
  });

  it('forEachElement gives the same walk one element at a time', () => {
    fc.assert(
      fc.property(walk, ({ shape, views }) => {
        const got: number[][] = views.map(() => []);
        const indices: number[] = [];
        forEachElement(shape, views, (i, offsets) => {
          indices.push(i);
          offsets.forEach((off, v) => got[v]!.push(off));
        });
        const want = views.map((v) => reference(shape, v));
        expect(got).toEqual(want);
        expect(indices).toEqual(want[0]!.map((_, i) => i));
      }),
    );
  });
});
