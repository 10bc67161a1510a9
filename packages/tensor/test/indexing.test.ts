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
  it('several integer arrays broadcast together; adjacent ones keep their place, others go first (PyTorch)', () => {
    // cube[[0, 1], [2, 0]]: pairs (0, 2) and (1, 0), each a row of 4.
    expect(cube.index([0, 1], [2, 0]).toArray()).toEqual([
      [8, 9, 10, 11],
      [12, 13, 14, 15],
    ]);
    expect(cube.index(null, [2, 0], [3, 1]).toArray()).toEqual([
      [11, 1],
      [23, 13],
    ]);
    // Not adjacent: the broadcast [2] dimension comes first, then the sliced axis.
    expect(cube.index([1, 0], null, [0, 3]).toArray()).toEqual([
      [12, 16, 20],
      [3, 7, 11],
    ]);
    // Broadcast [[0], [1]] with [0, 2]; the integer 1 is basic, so the arrays stay adjacent.
    expect(cube.index([[0], [1]], 1, [0, 2]).toArray()).toEqual([
      [4, 6],
      [16, 18],
    ]);
    expect(J.grad((t) => t.index([0, 0, 1], [1, 1, 0]).sum())(J.zeros([2, 2])).toArray()).toEqual([
      [0, 2],
      [1, 0],
    ]);
    expect(() => cube.index([0, 5])).toThrow(/^index: index 5 \(entry 1\) is out of range for axis 0 of size 2/);
    expect(() => cube.index([0, 1], [0, 1, 2])).toThrow(/^index: /);
  });
});

describe("PyTorch's gather / scatter family", () => {
  const m = J.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('gather reads x at p with p[axis] = index[p]', () => {
    expect(
      J.gather(
        m,
        1,
        J.tensor([
          [2, 0],
          [1, 1],
        ]),
      ).toArray(),
    ).toEqual([
      [3, 1],
      [5, 5],
    ]);
    expect(m.gather(0, J.tensor([[1, 0, 1]])).toArray()).toEqual([[4, 2, 6]]);
    expect(
      J.grad((t) =>
        J.gather(
          t,
          1,
          J.tensor([
            [2, 2],
            [0, 2],
          ]),
        ).sum(),
      )(m).toArray(),
    ).toEqual([
      [0, 0, 2],
      [1, 0, 1],
    ]);
  });
  it('scatterAdd adds src at the addressed positions, repeats accumulating; scatter writes', () => {
    expect(J.scatterAdd(J.zeros([3]), 0, J.tensor([0, 2, 0]), J.tensor([1, 2, 3])).toArray()).toEqual([4, 0, 2]);
    expect(
      J.scatterAdd(
        m,
        1,
        J.tensor([[0], [2]]),
        J.tensor([
          [10, 99],
          [20, 99],
        ]),
      ).toArray(),
    ).toEqual([
      [11, 2, 3],
      [4, 5, 26],
    ]);
    expect(J.scatter(J.zeros([2, 2]), 1, J.tensor([[1], [0]]), 5).toArray()).toEqual([
      [0, 5],
      [5, 0],
    ]);
    // d/dx is 1 where x survives and 0 where it was overwritten; d/dsrc is 1 at what was written.
    const [dx, dsrc] = J.grad((t, s) => J.scatter(t, 1, J.tensor([[1], [0]]), s).sum(), { argnums: [0, 1] })(m, J.tensor([[7], [8]]));
    expect(dx!.toArray()).toEqual([
      [1, 0, 1],
      [0, 1, 1],
    ]);
    expect(dsrc!.toArray()).toEqual([[1], [1]]);
  });
  it('scatter refuses a position written twice; bad index shapes are typed errors', () => {
    expect(() => J.scatter(J.zeros([3]), 0, J.tensor([1, 1]), 2)).toThrow(/^scatter: index writes flat position 1 of x more than once/);
    expect(() => J.gather(m, 1, J.tensor([0, 1]))).toThrow(/^gather: index must have the rank of x \(2\)/);
    expect(() => J.gather(m, 1, J.tensor([[0], [1], [0]]))).toThrow(/^gather: index shape \[3,1\] exceeds x's \[2,3\] at axis 0/);
    expect(() => J.gather(m, 1, J.tensor([[3]]))).toThrow(/^gather: index 3 \(entry 0\) is out of range for axis 1 of size 3/);
    expect(() => J.scatterAdd(m, 1, J.tensor([[0, 1]]), J.tensor([[1]]))).toThrow(
      /^scatterAdd: src of shape \[1,1\] must have the index's rank/,
    );
  });
  it('indexSelect, maskedFill, maskedSelect, nonzero', () => {
    expect(J.indexSelect(m, 1, [2, 0]).toArray()).toEqual([
      [3, 1],
      [6, 4],
    ]);
    expect(() => J.indexSelect(m, 1, J.tensor([[0]]))).toThrow(/^indexSelect: index must be a 1-D/);
    expect(J.maskedFill(m, J.tensor([true, false, true]), -1).toArray()).toEqual([
      [-1, 2, -1],
      [-1, 5, -1],
    ]);
    expect(() => J.maskedFill(m, J.tensor([true, false]), 0)).toThrow(/^maskedFill: mask of shape \[2\] does not broadcast/);
    expect(J.maskedSelect(m, m.greater(2)).toArray()).toEqual([3, 4, 5, 6]);
    expect(J.maskedSelect(m, J.tensor([[true], [false]])).toArray()).toEqual([1, 2, 3]);
    expect(
      J.grad((t) =>
        J.maskedSelect(t, J.tensor([false, true, true]))
          .square()
          .sum(),
      )(m).toArray(),
    ).toEqual([
      [0, 4, 6],
      [0, 10, 12],
    ]);
    expect(
      J.nonzero(
        J.tensor([
          [0, 3],
          [2, 0],
        ]),
      ).toArray(),
    ).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(J.nonzero(J.zeros([2, 2])).shape).toEqual([0, 2]);
  });
});
