// The layout composites (flip, roll, movedim, swapaxes, split, chunk, tile, repeatInterleave,
// tril, triu, diag, diagonal, trace, pad, meshgrid) and the range and random creation functions,
// against plain index loops: each output position names the input position it reads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { RUNS, shapeArb } from './support.js';

/** A float64 tensor of `shape` holding 1, 2, 3, … (row-major), so every value names its position. */
const counting = (shape: readonly number[]): Tensor =>
  J.tensor(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1),
    { shape, dtype: 'float64' },
  );

/** Every index tuple of `shape` in row-major order. */
function indices(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of shape) out = out.flatMap((prefix) => Array.from({ length: n }, (_, i) => [...prefix, i]));
  return out;
}

/** The value of x at `idx` (x holds 1, 2, 3, …), or `fill` where `idx` is null. */
function read(shape: readonly number[], idx: readonly number[] | null, fill = 0): number {
  if (idx === null) return fill;
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + idx[d]!;
  return flat + 1;
}

/** Checks `out` against the loop: out[idx] = x[source(idx)] over every index of `shape`. */
function expectGather(
  out: Tensor,
  shape: readonly number[],
  inShape: readonly number[],
  source: (idx: number[]) => number[] | null,
  fill = 0,
) {
  expect(out.shape).toEqual(shape);
  expect(Array.from(out.data())).toEqual(indices(shape).map((idx) => read(inShape, source(idx), fill)));
}

const mod = (a: number, n: number) => ((a % n) + n) % n;
const nonEmpty = shapeArb(3, 3).filter((s) => s.length > 0);
const axisOf = (s: readonly number[]) => fc.integer({ min: -s.length, max: s.length - 1 });
const norm = (a: number, n: number) => (a < 0 ? a + n : a);

describe('squeeze (PyTorch conventions)', () => {
  it('leaves a named axis whose size is not 1 in place, and takes 0 or -1 on a 0-d tensor', () => {
    expect(J.squeeze(J.zeros([2, 1, 3]), 0).shape).toEqual([2, 1, 3]);
    expect(J.squeeze(J.zeros([2, 1, 3]), [0, 1]).shape).toEqual([2, 3]);
    expect(J.squeeze(J.zeros([1, 1, 3]), -1).shape).toEqual([1, 1, 3]);
    expect(J.squeeze(J.tensor(5), 0).shape).toEqual([]);
    expect(J.squeeze(J.tensor(5), -1).item()).toBe(5);
    expect(J.squeeze(J.tensor(5)).shape).toEqual([]);
    expect(() => J.squeeze(J.tensor(5), 1)).toThrow('squeeze: axis 1 is out of range');
    expect(() => J.squeeze(J.zeros([2, 1]), 2)).toThrow(J.AxisError);
  });
});

describe('flip, roll, movedim, swapaxes', () => {
  it('flip reads x[…, n−1−i, …] on the flipped axes (a view)', () => {
    fc.assert(
      fc.property(
        shapeArb(3, 3).chain((s) => fc.tuple(fc.constant(s), fc.subarray(s.map((_, i) => i)))),
        ([s, axes]) => {
          const x = counting(s);
          expectGather(J.flip(x, axes), s, s, (idx) => idx.map((i, d) => (axes.includes(d) ? s[d]! - 1 - i : i)));
          expect(J.flip(x, axes)._view.data).toBe(x._view.data);
        },
      ),
      { numRuns: RUNS * 4 },
    );
    expectGather(J.flip(counting([2, 3])), [2, 3], [2, 3], ([i, j]) => [1 - i!, 2 - j!]);
    expect(() => J.flip(counting([2, 2]), [0, -2])).toThrow('flip: axis 0 is repeated');
  });
  it('roll reads x[…, (i − s) mod n, …], also of the flattened tensor', () => {
    fc.assert(
      fc.property(
        nonEmpty.chain((s) => fc.tuple(fc.constant(s), axisOf(s), fc.integer({ min: -7, max: 7 }))),
        ([s, axis, shift]) => {
          const a = norm(axis, s.length);
          expectGather(J.roll(counting(s), shift, axis), s, s, (idx) => idx.map((i, d) => (d === a ? mod(i - shift, s[d]!) : i)));
          const n = s.reduce((p, q) => p * q, 1);
          const flat = J.roll(counting(s), shift).reshape([-1]);
          expectGather(flat, [n], [n], ([i]) => [mod(i! - shift, n)]);
        },
      ),
      { numRuns: RUNS * 4 },
    );
    expectGather(J.roll(counting([2, 3]), [1, -1], [0, 1]), [2, 3], [2, 3], ([i, j]) => [mod(i! - 1, 2), mod(j! + 1, 3)]);
    expect(() => J.roll(counting([2]), [1, 2])).toThrow('roll: without axes');
    expect(() => J.roll(counting([2]), [1, 2], [0])).toThrow('roll: 2 shifts given for 1 axes');
  });
  it('movedim and swapaxes permute the axes as PyTorch does', () => {
    const x = counting([2, 3, 4]);
    expectGather(J.movedim(x, 0, -1), [3, 4, 2], [2, 3, 4], ([i, j, k]) => [k!, i!, j!]);
    expectGather(J.movedim(x, [0, 1], [2, 0]), [3, 4, 2], [2, 3, 4], ([i, j, k]) => [k!, i!, j!]);
    expectGather(J.movedim(x, [2, 0], [0, 1]), [4, 2, 3], [2, 3, 4], ([i, j, k]) => [j!, k!, i!]);
    expectGather(J.swapaxes(x, 0, 2), [4, 3, 2], [2, 3, 4], ([i, j, k]) => [k!, j!, i!]);
    expectGather(J.swapaxes(x, -1, -1), [2, 3, 4], [2, 3, 4], (idx) => idx);
    expect(() => J.movedim(x, [0, 0], [1, 2])).toThrow('movedim: repeated axis in source');
    expect(() => J.movedim(x, [0], [1, 2])).toThrow('movedim: 1 source axes but 2 destination axes');
  });
});

describe('split and chunk', () => {
  it('split by a size gives pieces of that size (the last smaller); by sizes, those sizes', () => {
    fc.assert(
      fc.property(
        nonEmpty.chain((s) => fc.tuple(fc.constant(s), axisOf(s), fc.integer({ min: 1, max: 4 }))),
        ([s, axis, size]) => {
          const a = norm(axis, s.length);
          const pieces = J.split(counting(s), size, axis);
          expect(pieces.length).toBe(Math.ceil(s[a]! / size));
          pieces.forEach((p, k) => {
            const shape = s.map((n, d) => (d === a ? Math.min(size, n - k * size) : n));
            expectGather(p, shape, s, (idx) => idx.map((i, d) => (d === a ? i + k * size : i)));
          });
        },
      ),
      { numRuns: RUNS * 4 },
    );
    const x = counting([2, 5]);
    const [p, q, r] = J.split(x, [1, 0, 4], 1);
    expectGather(p!, [2, 1], [2, 5], (idx) => idx);
    expect(q!.shape).toEqual([2, 0]);
    expectGather(r!, [2, 4], [2, 5], ([i, j]) => [i!, j! + 1]);
    expect(J.split(J.zeros([0, 2]), 3).map((t) => t.shape)).toEqual([[0, 2]]);
    expect(() => J.split(x, [1, 2], 1)).toThrow('split: the sizes [1,2] add up to 3, but axis 1 of [2,5] has 5');
    expect(() => J.split(x, 0, 1)).toThrow(J.ArgumentError);
  });
  it('chunk gives ⌈n/chunks⌉-sized pieces, possibly fewer than asked, as PyTorch', () => {
    const sizes = (n: number, chunks: number) => J.chunk(J.zeros([n]), chunks).map((t) => t.shape[0]);
    expect(sizes(5, 3)).toEqual([2, 2, 1]);
    expect(sizes(6, 4)).toEqual([2, 2, 2]);
    expect(sizes(5, 4)).toEqual([2, 2, 1]);
    expect(sizes(2, 5)).toEqual([1, 1]);
    expect(sizes(0, 3)).toEqual([0, 0, 0]);
    const [a, b] = J.chunk(counting([3, 4]), 2, -1);
    expectGather(a!, [3, 2], [3, 4], (idx) => idx);
    expectGather(b!, [3, 2], [3, 4], ([i, j]) => [i!, j! + 2]);
    expect(() => J.chunk(a!, 0)).toThrow('chunk: expected an integer in [1, 2147483647] for the number of chunks, got 0');
  });
});

describe('tile and repeatInterleave', () => {
  it('tile reads x[i mod n] on every axis, padding the shorter of reps and the shape with 1s', () => {
    fc.assert(
      fc.property(shapeArb(2, 3), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), (s, reps) => {
        const ndim = Math.max(s.length, reps.length);
        const dims = [...new Array<number>(ndim - s.length).fill(1), ...s];
        const full = [...new Array<number>(ndim - reps.length).fill(1), ...reps];
        const shape = dims.map((d, i) => d * full[i]!);
        expectGather(J.tile(counting(s), reps), shape, s, (idx) => idx.slice(ndim - s.length).map((i, d) => i % s[d]!));
      }),
      { numRuns: RUNS * 4 },
    );
  });
  it('work at the 64-axis limit, and name themselves when a result would pass it', () => {
    const wide = J.zeros(new Array<number>(64).fill(1));
    expect(J.tile(wide, [2]).shape).toEqual([...new Array<number>(63).fill(1), 2]);
    expect(J.tile(J.zeros([1]), new Array<number>(64).fill(1)).shape).toEqual(new Array<number>(64).fill(1));
    expect(J.repeatInterleave(wide, 3, 10).shape[10]).toBe(3);
    expect(() => J.tile(J.zeros([1]), new Array<number>(65).fill(1))).toThrow('tile: the shape has 65 axes');
    expect(() => J.meshgrid(...new Array<Tensor>(65).fill(J.zeros([1])))).toThrow('meshgrid: the shape has 65 axes');
  });
  it('repeatInterleave with one count per element repeats element i r[i] times', () => {
    fc.assert(
      fc.property(
        nonEmpty.chain((s) =>
          fc
            .tuple(fc.constant(s), axisOf(s), fc.boolean())
            .chain(([shape, axis, asTensor]) =>
              fc.tuple(
                fc.constant(shape),
                fc.constant(axis),
                fc.constant(asTensor),
                fc.array(fc.nat(3), { minLength: shape[norm(axis, shape.length)]!, maxLength: shape[norm(axis, shape.length)]! }),
              ),
            ),
        ),
        ([s, axis, asTensor, counts]) => {
          const a = norm(axis, s.length);
          // Output position j along the axis reads the element whose run of repeats covers j.
          const owner = counts.flatMap((r, i) => new Array<number>(r).fill(i));
          const shape = s.map((n, d) => (d === a ? owner.length : n));
          const repeats = asTensor ? J.tensor(counts) : counts;
          expectGather(J.repeatInterleave(counting(s), repeats, axis), shape, s, (idx) => idx.map((i, d) => (d === a ? owner[i]! : i)));
        },
      ),
      { numRuns: RUNS * 4 },
    );
    expect(J.repeatInterleave(J.tensor([1, 2]), [1, 3]).toArray()).toEqual([1, 2, 2, 2]);
    expect(J.repeatInterleave(J.tensor([1, 2]), J.tensor(2)).toArray()).toEqual([1, 1, 2, 2]);
    expect(J.repeatInterleave(J.tensor([1, 2]), [2]).toArray()).toEqual([1, 1, 2, 2]);
    expect(() => J.repeatInterleave(J.tensor([1, 2]), [1, 2, 3])).toThrow('repeatInterleave: 3 repeats given for axis 0 of size 2 in [2]');
    expect(() => J.repeatInterleave(J.tensor([1, 2]), J.tensor([1, 0.5]))).toThrow(
      'repeatInterleave: expected an integer in [0, 9007199254740991] for repeats[1], got 0.5',
    );
    expect(() => J.repeatInterleave(J.tensor([1, 2]), J.tensor([[1, 1]]))).toThrow('repeatInterleave: repeats must be 0-D or 1-D');
  });
  it('repeatInterleave reads x[⌊i/r⌋] along the axis (of the flattened tensor without one)', () => {
    fc.assert(
      fc.property(
        nonEmpty.chain((s) => fc.tuple(fc.constant(s), axisOf(s), fc.integer({ min: 0, max: 3 }))),
        ([s, axis, r]) => {
          const a = norm(axis, s.length);
          const shape = s.map((n, d) => (d === a ? n * r : n));
          expectGather(J.repeatInterleave(counting(s), r, axis), shape, s, (idx) => idx.map((i, d) => (d === a ? Math.floor(i / r) : i)));
          const n = s.reduce((p, q) => p * q, 1);
          expectGather(J.repeatInterleave(counting(s), r), [n * r], [n], ([i]) => [Math.floor(i! / r)]);
        },
      ),
      { numRuns: RUNS * 4 },
    );
  });
});

describe('triangles and diagonals', () => {
  const matrixArb = fc.tuple(
    fc.integer({ min: 0, max: 2 }),
    fc.integer({ min: 0, max: 4 }),
    fc.integer({ min: 0, max: 4 }),
    fc.integer({ min: -5, max: 5 }),
  );
  it('tril keeps j − i ≤ k and triu j − i ≥ k, batched over leading axes; inf and NaN outside give 0', () => {
    fc.assert(
      fc.property(matrixArb, ([b, n, m, k]) => {
        const s = b === 0 ? [n, m] : [b, n, m];
        const pick = (keep: (i: number, j: number) => boolean) => (idx: number[]) => {
          const [i, j] = idx.slice(-2) as [number, number];
          return keep(i, j) ? idx : null;
        };
        expectGather(
          J.tril(counting(s), k),
          s,
          s,
          pick((i, j) => j - i <= k),
        );
        expectGather(
          J.triu(counting(s), k),
          s,
          s,
          pick((i, j) => j - i >= k),
        );
      }),
      { numRuns: RUNS * 4 },
    );
    expect(
      J.tril(
        J.tensor([
          [1, Number.NaN],
          [Infinity, 2],
        ]),
      ).toArray(),
    ).toEqual([
      [1, 0],
      [Infinity, 2],
    ]);
    expect(
      J.triu(
        J.tensor([
          [1, Number.NaN],
          [Infinity, 2],
        ]),
      ).toArray(),
    ).toEqual([
      [1, Number.NaN],
      [0, 2],
    ]);
    expect(() => J.tril(J.zeros([3]))).toThrow('tril: expected a tensor of at least 2 dimensions, got shape [3]');
  });
  it('diagonal reads x[…, i, i + k] (k < 0: x[…, i − k, i]) as the last axis, for any pair of axes', () => {
    fc.assert(
      fc.property(matrixArb, fc.integer({ min: 0, max: 2 }), ([b, n, m, k], where) => {
        // The batch axis of size b + 1 sits first, between or last; the matrix axes are the others.
        const axes = [0, 1, 2].filter((d) => d !== where);
        const s = [0, 1, 2].map((d) => (d === where ? b + 1 : d === axes[0] ? n : m));
        const count = Math.max(0, k >= 0 ? Math.min(n, m - k) : Math.min(n + k, m));
        expectGather(J.diagonal(counting(s), k, axes[0], axes[1]), [b + 1, count], s, ([t, i]) =>
          s.map((_, d) => (d === where ? t! : d === axes[0] ? (k >= 0 ? i! : i! - k) : k >= 0 ? i! + k : i!)),
        );
        // Swapping axis1 and axis2 reads the transposed matrices.
        expectGather(
          J.diagonal(counting(s), k, axes[1], axes[0]),
          [b + 1, Math.max(0, k >= 0 ? Math.min(m, n - k) : Math.min(m + k, n))],
          s,
          ([t, i]) => s.map((_, d) => (d === where ? t! : d === axes[1] ? (k >= 0 ? i! : i! - k) : k >= 0 ? i! + k : i!)),
        );
      }),
      { numRuns: RUNS * 4 },
    );
    // Of row-major matrices the diagonal is a strided view (every (m+1)-th element): no copy.
    const m = counting([2, 3, 4]);
    expect(J.diagonal(m, 1, 1, 2)._view.data).toBe(m._view.data);
    expect(J.diag(counting([3, 3]), -1)._view.strides).toEqual([4]);
    expect(() => J.diagonal(counting([2, 2]), 0, 1, -1)).toThrow('diagonal: axis1 and axis2 are both axis 1');
  });
  it('diag builds the (n+|k|)² matrix with x on diagonal k, or reads a matrix diagonal; trace sums it', () => {
    for (let n = 0; n <= 3; n++) {
      for (let k = -3; k <= 3; k++) {
        const size = n + Math.abs(k);
        expectGather(J.diag(counting([n]), k), [size, size], [n], ([i, j]) => (j! - i! === k ? [k >= 0 ? i! : j!] : null));
      }
    }
    expectGather(J.diag(counting([3, 4]), 1), [3], [3, 4], ([i]) => [i!, i! + 1]);
    expectGather(J.diag(counting([3, 4]), -2), [1], [3, 4], ([i]) => [i! + 2, i!]);
    expect(J.diag(J.tensor([Infinity, Number.NaN])).toArray()).toEqual([
      [Infinity, 0],
      [0, Number.NaN],
    ]);
    expect(J.trace(counting([3, 4])).item()).toBe(1 + 6 + 11);
    expect(J.trace(J.zeros([0, 2])).item()).toBe(0);
    expect(() => J.trace(counting([2]))).toThrow('trace: expected a 2-D tensor, got shape [2]');
    expect(() => J.diag(counting([1, 1, 1]))).toThrow('diag: expected a 1-D or 2-D tensor');
  });
});

describe('pad', () => {
  /** Where a padded position reads, per mode, on one axis of size n padded by `before`. */
  const sourceIndex = (mode: J.PadMode, i: number, n: number, before: number): number | null => {
    const j = i - before;
    if (j >= 0 && j < n) return j;
    switch (mode) {
      case 'constant':
        return null;
      case 'reflect':
        return j < 0 ? -j : 2 * (n - 1) - j;
      case 'replicate':
        return j < 0 ? 0 : n - 1;
      case 'circular':
        return mod(j, n);
    }
  };
  it('reads the mirrored, repeated or wrapped position on each padded axis, last axis first', () => {
    const padArb = fc.tuple(
      fc.constantFrom<J.PadMode>('constant', 'reflect', 'replicate', 'circular'),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat(3), { minLength: 6, maxLength: 6 }),
      fc.integer({ min: 1, max: 3 }),
    );
    fc.assert(
      fc.property(padArb, ([mode, s, raw, pairs]) => {
        const count = Math.min(pairs, s.length);
        const limit = (d: number) => (mode === 'reflect' ? s[d]! - 1 : mode === 'circular' ? s[d]! : 3);
        const pads = raw.slice(0, 2 * count).map((p, i) => Math.min(p, limit(s.length - 1 - Math.floor(i / 2))));
        const before = (d: number) => (s.length - 1 - d < count ? pads[2 * (s.length - 1 - d)]! : 0);
        const after = (d: number) => (s.length - 1 - d < count ? pads[2 * (s.length - 1 - d) + 1]! : 0);
        const shape = s.map((n, d) => n + before(d) + after(d));
        const out = J.pad(counting(s), pads, mode === 'constant' ? { value: -7 } : { mode });
        expectGather(
          out,
          shape,
          s,
          (idx) => {
            const src = idx.map((i, d) => sourceIndex(mode, i, s[d]!, before(d)));
            return src.includes(null) ? null : (src as number[]);
          },
          -7,
        );
      }),
      { numRuns: RUNS * 8 },
    );
  });
  it('follows PyTorch on the examples of its docs and crops with negative constant pads', () => {
    expect(J.pad(J.tensor([1, 2, 3]), [2, 1], { mode: 'reflect' }).toArray()).toEqual([3, 2, 1, 2, 3, 2]);
    expect(J.pad(J.tensor([1, 2, 3]), [2, 1], { mode: 'replicate' }).toArray()).toEqual([1, 1, 1, 2, 3, 3]);
    expect(J.pad(J.tensor([1, 2, 3]), [2, 1], { mode: 'circular' }).toArray()).toEqual([2, 3, 1, 2, 3, 1]);
    expect(J.pad(J.tensor([1, 2, 3]), [1, 1]).toArray()).toEqual([0, 1, 2, 3, 0]);
    expectGather(
      J.pad(counting([2, 4]), [-1, 2, 1, -1], { value: 5 }),
      [2, 5],
      [2, 4],
      ([i, j]) => (i === 0 || j! >= 3 ? null : [i! - 1, j! + 1]),
      5,
    );
    expect(J.pad(counting([2]), []).toArray()).toEqual([1, 2]);
    expect(() => J.pad(counting([3]), [3, 0], { mode: 'reflect' })).toThrow(
      'pad: reflect padding of 3 and 0 needs each pad below the size',
    );
    expect(() => J.pad(counting([3]), [-4, 0])).toThrow('pad: pads [-4,0] crop [3] below size 0');
    expect(() => J.pad(counting([3]), [1, 1, 1, 1])).toThrow('pad: pads has 4 entries');
    expect(() => J.pad(counting([3]), [-1, 0], { mode: 'circular' })).toThrow(J.ArgumentError);
    expect(() => J.pad(counting([3]), [1, 0], { mode: 'edge' as J.PadMode })).toThrow('pad: unknown mode string "edge"');
  });
});

describe('meshgrid', () => {
  it("'ij' puts input i on axis i; 'xy' swaps the first two axes; options are a final plain object", () => {
    const [a, b, c] = [counting([2]), counting([3]), counting([4])];
    const ij = J.meshgrid(a, b, c);
    expectGather(ij[0]!, [2, 3, 4], [2], ([i]) => [i!]);
    expectGather(ij[1]!, [2, 3, 4], [3], ([, j]) => [j!]);
    expectGather(ij[2]!, [2, 3, 4], [4], ([, , k]) => [k!]);
    const xy = J.meshgrid(a, b, c, { indexing: 'xy' });
    expectGather(xy[0]!, [3, 2, 4], [2], ([, i]) => [i!]);
    expectGather(xy[1]!, [3, 2, 4], [3], ([j]) => [j!]);
    expectGather(xy[2]!, [3, 2, 4], [4], ([, , k]) => [k!]);
    expect(J.meshgrid(a, { indexing: 'xy' }).map((t) => t.shape)).toEqual([[2]]);
    expect(J.meshgrid(J.tensor(3), b).map((t) => t.shape)).toEqual([
      [1, 3],
      [1, 3],
    ]);
    expect(() => J.meshgrid({ indexing: 'ij' })).toThrow('meshgrid: expected a non-empty array of tensors');
    expect(() => J.meshgrid(counting([2, 2]))).toThrow('meshgrid: tensor 0 has shape [2,2], expected 0-D or 1-D');
  });
});

describe('linspace and logspace', () => {
  it('include both ends exactly and are symmetric about the middle', () => {
    expect(J.linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(J.linspace(3, 3, 1).toArray()).toEqual([3]);
    expect(J.linspace(0, 1, 0).shape).toEqual([0]);
    expect(J.linspace(1, -1, 3, { dtype: 'float64' }).toArray()).toEqual([1, 0, -1]);
    expect(Object.is(J.linspace(-0, -0, 2).data()[0], -0)).toBe(true);
    expect(Object.is(J.linspace(1, -0, 2).data()[1], -0)).toBe(true);
    fc.assert(
      fc.property(
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        fc.integer({ min: 2, max: 50 }),
        (a, b, n) => {
          const v = Array.from(J.linspace(a, b, n, { dtype: 'float64' }).data());
          expect(v[0]).toBe(a);
          expect(v[n - 1]).toBe(b);
          const step = (b - a) / (n - 1);
          v.forEach((x, i) => expect(Math.abs(x - (a + i * step))).toBeLessThanOrEqual(1e-12 * (Math.abs(a) + Math.abs(b) + 1)));
        },
      ),
      { numRuns: RUNS * 4 },
    );
    expect(J.logspace(0, 2, 3).toArray()).toEqual([1, 10, 100]);
    expect(J.logspace(0, 3, 4, { base: 2, dtype: 'float64' }).toArray()).toEqual([1, 2, 4, 8]);
    expect(() => J.linspace(0, 1, -1)).toThrow('linspace: expected an integer in [0, 2147483647] for n, got -1');
    expect(() => J.logspace(0, 1, 2, { base: Number.NaN })).toThrow('logspace: expected a finite number for opts.base');
  });
});

describe('uniform, normal, bernoulli, randint', () => {
  it('are reproducible with a seeded rng and draw from the stated ranges', () => {
    const u = J.uniform([2000], -2, 3, { rng: J.rng(1), dtype: 'float64' });
    expect(Array.from(u.data())).toEqual(Array.from(J.uniform([2000], -2, 3, { rng: J.rng(1), dtype: 'float64' }).data()));
    expect(u.min().item()).toBeGreaterThanOrEqual(-2);
    expect(u.max().item()).toBeLessThan(3);
    expect(Math.abs(u.mean().item() - 0.5)).toBeLessThan(0.15);
    // The same draws as rand, scaled: low + (high − low)·u.
    const r = J.rand([5], { rng: J.rng(9), dtype: 'float64' });
    expect(Array.from(J.uniform([5], 1, 3, { rng: J.rng(9), dtype: 'float64' }).data())).toEqual(
      Array.from(r.data()).map((v) => 1 + 2 * v),
    );
    const z = J.randn([5], { rng: J.rng(4), dtype: 'float64' });
    expect(Array.from(J.normal([5], 10, 2, { rng: J.rng(4), dtype: 'float64' }).data())).toEqual(
      Array.from(z.data()).map((v) => 10 + 2 * v),
    );
    expect(J.normal([3], 1, 0).toArray()).toEqual([1, 1, 1]);
    const n = J.normal([4000], 3, 0.5, { rng: J.rng(2), dtype: 'float64' });
    expect(Math.abs(n.mean().item() - 3)).toBeLessThan(0.05);
    const b = J.bernoulli(J.tensor([0, 1, 0, 1, 0.5]), { rng: J.rng(3) });
    expect(Array.from(b.data()).slice(0, 4)).toEqual([0, 1, 0, 1]);
    expect(b.dtype).toBe('float32');
    const half = J.bernoulli(J.full([4000], 0.25, { dtype: 'float64' }), { rng: J.rng(5) });
    expect(half.dtype).toBe('float64');
    expect(Math.abs(half.mean().item() - 0.25)).toBeLessThan(0.03);
    const ints = Array.from(J.randint(-3, 4, [3000], { rng: J.rng(6) }).data());
    expect(ints.every((v) => Number.isInteger(v) && v >= -3 && v < 4)).toBe(true);
    expect(new Set(ints).size).toBe(7);
    expect(() => J.uniform([2], 1, 0)).toThrow('uniform: low 1 is greater than high 0');
    expect(() => J.normal([2], 0, -1)).toThrow('normal: expected a finite number ≥ 0 for std, got -1');
    expect(() => J.bernoulli(J.tensor([0.5, 1.5]))).toThrow('bernoulli: probability 1.5 at flat index 1 is not in [0, 1]');
    expect(() => J.bernoulli(J.tensor([Number.NaN]))).toThrow(J.ArgumentError);
    expect(() => J.randint(2, 2, [1])).toThrow('randint: low 2 must be below high 2');
    expect(() => J.randint(0.5, 2, [1])).toThrow('randint: expected a safe integer for low, got 0.5');
  });
});

describe('einsum', () => {
  /** The sum over every assignment of the letters, by plain loops. */
  function reference(spec: string, sizes: Record<string, number>, operands: Tensor[]): { shape: number[]; values: number[] } {
    const [lhs, out] = spec.split('->') as [string, string];
    const inputs = lhs.split(',');
    const letters = [...new Set(lhs.replace(/,/g, ''))];
    const shape = [...out].map((c) => sizes[c]!);
    const values = new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0);
    const data = operands.map((t) => Array.from(t.data()));
    for (const assignment of indices(letters.map((c) => sizes[c]!))) {
      const at = (c: string) => assignment[letters.indexOf(c)]!;
      let product = 1;
      inputs.forEach((labels, k) => {
        const s = [...labels].map((c) => sizes[c]!);
        product *= data[k]![read(s, [...labels].map(at)) - 1]!;
      });
      values[read(shape, [...out].map(at)) - 1]! += product;
    }
    return { shape, values };
  }
  const specs = [
    'ij,jk->ik',
    'ij->ji',
    'ii->i',
    'ii->',
    'ij->',
    'i,j->ij',
    'bij,bjk->bik',
    'ij,ij,ij->i',
    'iji->j',
    'ab,bc,cd->ad',
    'ij,j->i',
    'i,i->',
    'ijk->kij',
    'aB,Ba->a',
  ];
  it('matches the plain sum of products for explicit outputs, diagonals and chains', () => {
    const sizeArb = fc.record({
      a: fc.nat(3),
      b: fc.nat(3),
      c: fc.nat(3),
      d: fc.nat(3),
      i: fc.nat(3),
      j: fc.nat(3),
      k: fc.nat(3),
      B: fc.nat(3),
    });
    fc.assert(
      fc.property(fc.constantFrom(...specs), sizeArb, fc.integer({ min: 0, max: 1000 }), (spec, sizes, seed) => {
        const r = J.rng(seed);
        const operands = spec
          .split('->')[0]!
          .split(',')
          .map((labels) =>
            J.randint(
              -3,
              4,
              [...labels].map((c) => sizes[c as keyof typeof sizes]),
              { rng: r, dtype: 'float64' },
            ),
          );
        const expected = reference(spec, sizes, operands);
        const out = J.einsum(spec, ...operands);
        expect(out.shape).toEqual(expected.shape);
        expect(Array.from(out.data())).toEqual(expected.values);
      }),
      { numRuns: RUNS * 8 },
    );
  });
  it("'...' stands for the remaining axes, broadcast right-aligned; it leads the implicit output", () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.nat(2), fc.nat(2), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        ([p, q, n, m, k], squeezeSecond, seed) => {
          const r = J.rng(seed);
          // a: [p+1, q+1 or 1, n, m] and b: [q+1, m, k]: the ellipsis axes broadcast to [p+1, q+1].
          const a = J.randint(-3, 4, [p + 1, squeezeSecond ? 1 : q + 1, n, m], { rng: r, dtype: 'float64' });
          const b = J.randint(-3, 4, [q + 1, m, k], { rng: r, dtype: 'float64' });
          const full = [p + 1, q + 1];
          const a4 = a.broadcastTo([...full, n, m]);
          const b4 = b.broadcastTo([...full, m, k]);
          const same = (x: Tensor, y: Tensor) => {
            expect(x.shape).toEqual(y.shape);
            expect(Array.from(x.data())).toEqual(Array.from(y.data()));
          };
          same(J.einsum('...ij,...jk->...ik', a, b), J.einsum('pqij,pqjk->pqik', a4, b4));
          same(J.einsum('...ij,...jk', a, b), J.einsum('pqij,pqjk->pqik', a4, b4));
          same(J.einsum('...ij,...jk->ik', a, b), J.einsum('pqij,pqjk->ik', a4, b4));
          same(J.einsum('...ij->...ji', a), J.einsum('pqij->pqji', a));
          same(J.einsum('i...->...', b), J.einsum('iab->ab', b));
        },
      ),
      { numRuns: RUNS * 4 },
    );
  });
  it('without an arrow outputs the letters used once, in alphabetical order; checks its arguments', () => {
    const a = counting([2, 3]);
    const b = counting([3, 4]);
    expect(J.einsum('ij,jk', a, b).toArray()).toEqual(J.matmul(a, b).toArray());
    expect(J.einsum('ji', a).toArray()).toEqual(a.T.toArray());
    expect(J.einsum('ii', counting([3, 3])).item()).toBe(1 + 5 + 9);
    expect(J.einsum(' i j , j k -> i k ', a, b).toArray()).toEqual(J.matmul(a, b).toArray());
    expect(J.einsum('ij,jk', a, b.astype('float32')).dtype).toBe('float64');
    expect(() => J.einsum('ij,jk->ik', a)).toThrow('einsum: string "ij,jk->ik" has subscripts for 2 operands, but 1 were given');
    expect(() => J.einsum('ij,jk->ik', a, a)).toThrow("einsum: subscript 'j' has size 3 and 2");
    expect(() => J.einsum('ijk', a)).toThrow("einsum: operand 0 has shape [2,3], but its subscripts 'ijk' name 3 axes");
    expect(() => J.einsum('ij->ii', a)).toThrow("einsum: subscript 'i' is repeated in the output");
    expect(() => J.einsum('ij->k', a)).toThrow("einsum: output subscript 'k'");
    expect(() => J.einsum('i1', a)).toThrow('einsum: string "1" in');
    expect(() => J.einsum('...i...', a)).toThrow('einsum: string "." in');
    expect(() => J.einsum('...ijk', a)).toThrow("einsum: operand 0 has shape [2,3], but its subscripts '...ijk' name at least 3 axes");
    expect(() => J.einsum('...i,...i', counting([2, 3]), counting([3, 3]))).toThrow('einsum: an axis of the ellipsis has size 2 and 3');
    expect(() => J.einsum('ij')).toThrow('einsum: expected at least one operand');
    const big = J.zeros([50000]);
    expect(() => J.einsum('i,j->ij', big, big)).toThrow('einsum: shape [50000,50000] has 2500000000 elements');
  });
});
