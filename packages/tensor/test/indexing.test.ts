// take and integer-array index(): values against hand-written references, NumPy's placement
// of the indexed dimensions, repeated indices in the gradient, and the errors.
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';

const x = J.tensor([
  [0, 1],
  [2, 3],
  [4, 5],
]);
const cube = J.arange(24).reshape([2, 3, 4]);

describe('take', () => {
  it('picks positions along an axis, in order, with repeats and negative indices', () => {
    expect(J.take(x, [2, 0, 2], 0).toArray()).toEqual([
      [4, 5],
      [0, 1],
      [4, 5],
    ]);
    expect(J.take(x, [-1, 0], 1).toArray()).toEqual([
      [1, 0],
      [3, 2],
      [5, 4],
    ]);
    expect(x.take([1], 0).toArray()).toEqual([[2, 3]]);
  });
  it("puts the indices' shape in place of the axis; a number drops it; no axis flattens", () => {
    expect(J.take(cube, [[0, 2]], 1).shape).toEqual([2, 1, 2, 4]);
    expect(J.take(cube, [[0, 2]], 1).toArray()).toEqual([
      [
        [
          [0, 1, 2, 3],
          [8, 9, 10, 11],
        ],
      ],
      [
        [
          [12, 13, 14, 15],
          [20, 21, 22, 23],
        ],
      ],
    ]);
    expect(J.take(cube, 3, 2).toArray()).toEqual([
      [3, 7, 11],
      [15, 19, 23],
    ]);
    expect(J.take(x, [[5, 0]]).toArray()).toEqual([[5, 0]]);
    expect(J.take(x, J.tensor([1, 1]), 0).toArray()).toEqual([
      [2, 3],
      [2, 3],
    ]);
    expect(J.take(x, [], 0).shape).toEqual([0, 2]);
  });
  it('accumulates the gradient of repeated positions (both modes)', () => {
    const v = J.tensor([1, 2, 3], { dtype: 'float64' });
    expect(J.grad((t) => J.take(t, [1, 1, 0, 1]).sum())(v).toArray()).toEqual([1, 3, 0]);
    const [, dy] = J.jvp((t) => J.take(t, [2, 2]), [v], [J.tensor([10, 20, 30], { dtype: 'float64' })]);
    expect(dy.toArray()).toEqual([30, 30]);
  });
  it('rejects bad positions and axes with errors naming take', () => {
    expect(() => J.take(x, [3], 0)).toThrow(/^take: index 3 \(entry 0\) is out of range for axis 0 of size 3/);
    expect(() => J.take(x, [-4], 0)).toThrow(J.ArgumentError);
    expect(() => J.take(x, [0.5], 0)).toThrow(/^take: index 0.5/);
    expect(() => J.take(x, [0], 2)).toThrow(J.AxisError);
    expect(() => J.take(x, 'a' as never, 0)).toThrow(/^take: expected indices/);
    expect(() => J.take(x, [[0], [1, 2]], 0)).toThrow(/^take: ragged/);
    expect(() => J.take(J.zeros([0, 2]), [0], 0)).toThrow(/^take: index 0/);
  });
});

describe('index with an integer array', () => {
  it('x.index([5, 0, 3]) picks rows (an array is never a slice)', () => {
    const rows = J.arange(20).reshape([10, 2]);
    expect(rows.index([5, 0, 3]).toArray()).toEqual([
      [10, 11],
      [0, 1],
      [6, 7],
    ]);
  });
  it('places the indexed dimensions where the axis was, as NumPy does for one array', () => {
    expect(cube.index(0, [1, 1]).shape).toEqual([2, 4]); // x[0, [1, 1]]
    expect(cube.index(0, [1, 1]).toArray()).toEqual([
      [4, 5, 6, 7],
      [4, 5, 6, 7],
    ]);
    expect(cube.index(null, [2, 0], '1:3').toArray()).toEqual([
      [
        [9, 10],
        [1, 2],
      ],
      [
        [21, 22],
        [13, 14],
      ],
    ]);
    expect(cube.index('::-1', null, [[3]]).shape).toEqual([2, 3, 1, 1]);
    expect(cube.index(1, 2, [0, -1]).toArray()).toEqual([20, 23]);
  });
  it('takes ranges as strings or { start, stop, step } objects', () => {
    expect(x.index({ start: 1 }, { step: -1 }).toArray()).toEqual([
      [3, 2],
      [5, 4],
    ]);
    expect(() => x.index({ start: 0.5 })).toThrow(/^index: start 0.5 of the range for axis 0 is not an integer/);
  });
  it('allows one integer array per call', () => {
    expect(() => cube.index([0], [1])).toThrow(/^index: at most one integer-array index is supported, got arrays for axes 0, 1/);
    expect(() => cube.index([0, 5])).toThrow(/^index: index 5 \(entry 1\) is out of range for axis 0 of size 2/);
  });
});
