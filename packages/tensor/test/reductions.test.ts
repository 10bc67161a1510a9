// Values of the reductions and scans against hand-computed references: ordinary points, ties,
// zeros in products, NaN, empty axes, and PyTorch's conventions for 0-d tensors.
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import { expectClose } from './support.js';

const t = (v: J.NestedArray) => J.tensor(v, { dtype: 'float64' });
const m = t([
  [1, 2, 3],
  [4, 5, 6],
]);

describe('PyTorch conventions of the existing reductions', () => {
  const s = t(3);
  it('axis 0 and -1 of a 0-d tensor name its one element', () => {
    for (const f of [J.sum, J.mean, J.max, J.min, J.logSumExp]) {
      for (const axis of [0, -1, [0], [-1]]) {
        const out = f(s, axis, false);
        expect(out.shape).toEqual([]);
        expect(out.item()).toBe(3);
        expect(f(s, axis, true).shape).toEqual([]);
      }
    }
    expect(J.softmax(s, 0).item()).toBe(1);
    expect(J.logSoftmax(s, -1).item()).toBe(0);
    expect(J.argmax(s, 0).item()).toBe(0);
    expect(J.grad((x) => J.softmax(x, 0))(s).item()).toBe(0);
    expect(J.grad((x) => J.max(x, -1))(s).item()).toBe(1);
  });
  it('other axes of a 0-d tensor are AxisErrors naming the op', () => {
    expect(() => J.sum(s, 1)).toThrow(J.AxisError);
    expect(() => J.sum(s, 1)).toThrow(/^sum: axis 1 is out of range for a 0-d tensor/);
    expect(() => s.softmax(-2)).toThrow(/^softmax: axis -2/);
    expect(() => J.mean(s, [0, -1])).toThrow(/^mean: 2 axes given for a 0-d tensor/);
  });
  it('mean over an empty axis is NaN', () => {
    const e = J.zeros([2, 0], { dtype: 'float64' });
    expect(J.mean(e, 1).toArray()).toEqual([NaN, NaN]);
    expect(J.mean(e).item()).toBeNaN();
    expect(J.mean(e, 0).shape).toEqual([0]);
  });
});

describe('prod', () => {
  it('multiplies over axes, with keepdims; an empty axis gives 1', () => {
    expect(J.prod(m).item()).toBe(720);
    expect(J.prod(m, 1).toArray()).toEqual([6, 120]);
    expect(J.prod(m, 0, true).toArray()).toEqual([[4, 10, 18]]);
    expect(J.prod(m, [-1, 0]).item()).toBe(720);
    expect(J.prod(t([1, 2, 3, 4, 5, 6, 7])).item()).toBe(5040);
    expect(J.prod(J.zeros([2, 0]), 1).toArray()).toEqual([1, 1]);
    expect(J.prod(t(3), 0).item()).toBe(3);
    expect(J.prod(t([2, NaN])).item()).toBeNaN();
  });
  it('has the product of the others as its gradient, also at zeros', () => {
    expect(J.grad((x) => J.prod(x))(t([2, 3, 4])).toArray()).toEqual([12, 8, 6]);
    expect(J.grad((x) => J.prod(x))(t([2, 0, 3, 4, 5])).toArray()).toEqual([0, 120, 0, 0, 0]);
    expect(J.grad((x) => J.prod(x))(t([2, 0, 3, 0, 5])).toArray()).toEqual([0, 0, 0, 0, 0]);
    // Second order at a zero: ∂²/∂x₀∂x₁ of x₀x₁x₂ at (0, 0, 3) is x₂ = 3.
    expect(J.hessian((x) => J.prod(x))(t([0, 0, 3])).toArray()).toEqual([
      [0, 3, 0],
      [3, 0, 0],
      [0, 0, 0],
    ]);
  });
});

describe('variance and std', () => {
  it('divide by N − correction (Bessel by default), as PyTorch', () => {
    expectClose(J.variance(t([1, 2, 3, 4])), 5 / 3);
    expectClose(J.variance(t([1, 2, 3, 4]), 0, { correction: 0 }), 1.25);
    expectClose(J.std(m, 1), [1, 1]);
    expectClose(J.std(m, 0, { keepdims: true }), [[4.5 ** 0.5, 4.5 ** 0.5, 4.5 ** 0.5]]);
    expectClose(m.var(), 3.5);
    expectClose(m.variance(undefined, { correction: 2 }), 17.5 / 4);
  });
  it('is NaN for one element with correction 1, for an empty axis, and for a correction above N is ∞ or NaN', () => {
    expect(J.variance(t([5])).item()).toBeNaN();
    expect(J.variance(t(5)).item()).toBeNaN();
    expect(J.variance(t(5), 0, { correction: 0 }).item()).toBe(0);
    expect(J.variance(J.zeros([0])).item()).toBeNaN();
    expect(J.variance(t([1, 3]), 0, { correction: 3 }).item()).toBe(Infinity);
  });
  it('std of a constant row is 0 and its gradient NaN (√ at 0), as PyTorch', () => {
    expect(J.std(t([2, 2])).item()).toBe(0);
    expect(J.grad((x) => J.std(x))(t([2, 2])).toArray()).toEqual([NaN, NaN]);
  });
  it('checks its options', () => {
    expect(() => J.variance(m, 0, { correction: -1 })).toThrow(/^variance: expected a finite number ≥ 0 for correction/);
    expect(() => m.var(0, { keepdims: 1 as unknown as boolean })).toThrow(/^var: expected true or false for keepdims/);
    expect(() => J.std(m, 0, 3 as unknown as J.VarianceOptions)).toThrow(/^std: expected an options object/);
  });
});

describe('norm', () => {
  const v = t([3, -4]);
  it('computes p = 2, 1, ±Infinity and other p', () => {
    expect(J.norm(v).item()).toBe(5);
    expect(J.norm(v, 1).item()).toBe(7);
    expect(J.norm(v, Infinity).item()).toBe(4);
    expect(J.norm(v, -Infinity).item()).toBe(3);
    expectClose(J.norm(t([1, 2, 2]), 3), 17 ** (1 / 3));
    expectClose(J.norm(t([1, 1, 1, 1]), 0.5), 16);
    expectClose(J.norm(m, 2, 1, true), [[14 ** 0.5], [77 ** 0.5]]);
    expect(J.norm(t(-3), 2, 0).item()).toBe(3);
  });
  it('neither overflows nor underflows, and keeps ∞ and NaN', () => {
    expectClose(J.norm(t([3e200, 4e200])), 5e200);
    expectClose(J.norm(t([3e-200, 4e-200])), 5e-200);
    expect(J.norm(t([1, Infinity])).item()).toBe(Infinity);
    expect(J.norm(t([1, NaN])).item()).toBeNaN();
    expect(J.norm(J.zeros([0])).item()).toBe(0);
  });
  it('has gradient x/‖x‖, and 0 at x = 0 (the subgradient)', () => {
    expectClose(J.grad((x) => J.norm(x))(v), [0.6, -0.8]);
    expect(J.grad((x) => J.norm(x))(t([0, 0])).toArray()).toEqual([0, 0]);
    expect(J.grad((x) => J.norm(x, 3))(t([0, 0])).toArray()).toEqual([0, 0]);
    expect(J.grad((x) => J.norm(x, 1))(t([0, 2])).toArray()).toEqual([0, 1]);
  });
  it('checks p', () => {
    for (const p of [0, -1, NaN, '2'])
      expect(() => J.norm(v, p as number)).toThrow(/^norm: expected a positive number, Infinity or -Infinity for p/);
    expect(() => J.norm(J.zeros([0]), Infinity)).toThrow(/^norm: cannot reduce the empty axis/);
  });
});

describe('argmin, any, all', () => {
  it('argmin gives the first minimum, or the first NaN, as argmax', () => {
    const x = t([
      [3, 1, 1],
      [0, NaN, NaN],
    ]);
    expect(J.argmin(x, 1).toArray()).toEqual([1, 1]);
    expect(J.argmin(x, 0, true).toArray()).toEqual([[1, 1, 1]]);
    expect(J.argmin(t(2), -1).item()).toBe(0);
    expect(J.argmin(x).dtype).toBe('int32');
    expect(() => J.argmin(J.zeros([0]))).toThrow(/^argmin: cannot reduce the empty axis/);
  });
  it('any and all count NaN as non-zero; over an empty axis any is 0 and all is 1', () => {
    const x = t([
      [0, 0],
      [0, NaN],
      [1, 2],
    ]);
    expect(J.any(x, 1).toArray()).toEqual([0, 1, 1]);
    expect(J.all(x, 1).toArray()).toEqual([0, 0, 1]);
    expect(J.any(x).item()).toBe(1);
    expect(J.all(x, 0, true).toArray()).toEqual([[0, 0]]);
    expect(J.any(J.zeros([0])).item()).toBe(0);
    expect(J.all(J.zeros([2, 0]), 1).toArray()).toEqual([1, 1]);
    expect(J.all(t(0), 0).item()).toBe(0);
  });
  it('are constants to autodiff', () => {
    expect(J.grad((x) => J.any(x).mul(x).sum())(t([1, 2])).toArray()).toEqual([1, 1]);
    expect(J.grad((x) => J.argmin(x).mul(x).sum())(t([2, 1])).toArray()).toEqual([1, 1]);
  });
});

describe('scans', () => {
  it('cumsum and cumprod along an axis (7 elements: three rounds, one partial)', () => {
    expect(J.cumsum(t([1, 2, 3, 4, 5, 6, 7]), 0).toArray()).toEqual([1, 3, 6, 10, 15, 21, 28]);
    expect(J.cumsum(m, 0).toArray()).toEqual([
      [1, 2, 3],
      [5, 7, 9],
    ]);
    expect(m.cumsum(-1).toArray()).toEqual([
      [1, 3, 6],
      [4, 9, 15],
    ]);
    expect(J.cumprod(t([1, 2, 0, 3, 4]), 0).toArray()).toEqual([1, 2, 0, 0, 0]);
    expect(J.cumprod(m, 1).toArray()).toEqual([
      [1, 2, 6],
      [4, 20, 120],
    ]);
    expect(J.cumsum(J.zeros([2, 0]), 1).shape).toEqual([2, 0]);
    expect(J.cumsum(t(3), 0).item()).toBe(3);
    expect(J.cumsum(t([1, NaN, 2]), 0).toArray()).toEqual([1, NaN, NaN]);
  });
  it('cumsum runs in float64 inside, along any axis of any view', () => {
    // A float32 running sum would stay at 2²⁴: 2²⁴ + 1 rounds back to 2²⁴ in float32.
    expect(J.cumsum(J.tensor([2 ** 24, 1, 1]), 0).toArray()).toEqual([2 ** 24, 2 ** 24, 2 ** 24 + 2]);
    const c = J.arange(12, undefined, undefined, { dtype: 'float64' }).reshape([2, 3, 2]);
    expect(J.cumsum(c, 1).toArray()).toEqual([
      [
        [0, 1],
        [2, 4],
        [6, 9],
      ],
      [
        [6, 7],
        [14, 16],
        [24, 27],
      ],
    ]);
    expect(J.cumsum(m.T, 0).toArray()).toEqual([
      [1, 4],
      [3, 9],
      [6, 15],
    ]);
  });
  it('cumsum has the reversed cumsum as its gradient', () => {
    expect(
      J.grad((x) =>
        J.cumsum(x, 0)
          .mul(t([1, 2, 3, 4]))
          .sum(),
      )(t([5, 6, 7, 8])).toArray(),
    ).toEqual([10, 9, 7, 4]);
  });
  it('cumprod has exact gradients at zeros', () => {
    // d/dx Σᵢ ∏ⱼ≤ᵢ xⱼ at (2, 0, 3, 4): [1 + 0 + 0 + 0, 2 + 2·3 + 2·3·4, 0, 0].
    expect(J.grad((x) => J.cumprod(x, 0).sum())(t([2, 0, 3, 4])).toArray()).toEqual([1, 32, 0, 0]);
    expect(J.grad((x) => J.cumprod(x, 0).sum())(t([0, 0, 5])).toArray()).toEqual([1, 0, 0]);
  });
  it('logCumSumExp is stable, and −∞ stays −∞', () => {
    expectClose(J.logCumSumExp(t([0, 0, Math.log(2)]), 0), [0, Math.log(2), Math.log(4)]);
    expectClose(J.logCumSumExp(t([-1000, 0, 1000]), 0), [-1000, 0, 1000]);
    expectClose(J.logCumSumExp(t([1000, 1000]), 0), [1000, 1000 + Math.log(2)]);
    expect(J.logCumSumExp(t([-Infinity, -Infinity, 0]), 0).toArray()).toEqual([-Infinity, -Infinity, 0]);
    expect(J.logCumSumExp(t([0, Infinity, 1]), 0).toArray()).toEqual([0, Infinity, Infinity]);
    expect(J.logCumSumExp(t([0, NaN, 1]), 0).toArray()).toEqual([0, NaN, NaN]);
    expectClose(J.grad((x) => J.logCumSumExp(x, 0).index(-1))(t([1000, 1000])), [0.5, 0.5]);
  });
  it('cummax and cummin give values and indices; ties take the later index; NaN wins from where it appears', () => {
    const [v, i] = J.cummax(t([1, 3, 2, 3, NaN, 5, NaN, 2]), 0);
    expect(v.toArray()).toEqual([1, 3, 3, 3, NaN, NaN, NaN, NaN]);
    expect(i.toArray()).toEqual([0, 1, 1, 3, 4, 4, 6, 6]);
    const [w, j] = t([
      [3, 1, 2, 1, 0],
      [1, 1, 1, 2, 0],
    ]).cummin(1);
    expect(w.toArray()).toEqual([
      [3, 1, 1, 1, 0],
      [1, 1, 1, 1, 0],
    ]);
    expect(j.toArray()).toEqual([
      [0, 1, 1, 3, 4],
      [0, 1, 2, 2, 4],
    ]);
    expect(J.cummax(m, 0)[1].toArray()).toEqual([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    const [sv, si] = J.cummax(t(4), 0);
    expect([sv.shape, sv.item(), si.item()]).toEqual([[], 4, 0]);
  });
  it('cummax sends the gradient to the element at the index', () => {
    expect(J.grad((x) => J.cummax(x, 0)[0].sum())(t([1, 3, 2, 3, 0])).toArray()).toEqual([1, 2, 0, 2, 0]);
    expect(J.grad((x) => J.cummin(x, 0)[0].sum())(t([2, 1, 1, 3])).toArray()).toEqual([1, 1, 2, 0]);
  });
  it('check the axis', () => {
    expect(() => J.cumsum(m, 2)).toThrow(/^cumsum: axis 2 is out of range/);
    expect(() => J.cummax(t(1), 1)).toThrow(/^cummax: axis 1 is out of range for a 0-d tensor/);
    expect(() => J.cumprod(m, undefined as unknown as number)).toThrow(J.AxisError);
  });
});

describe('sort, argsort, topk', () => {
  const x = t([3, 1, NaN, 2, 1]);
  it('sort ascending and descending, NaN as the largest, ties in their order', () => {
    const [v, i] = J.sort(x);
    expect(v.toArray()).toEqual([1, 1, 2, 3, NaN]);
    expect(i.toArray()).toEqual([1, 4, 3, 0, 2]);
    const [w, j] = x.sort(0, { descending: true, stable: true });
    expect(w.toArray()).toEqual([NaN, 3, 2, 1, 1]);
    expect(j.toArray()).toEqual([2, 0, 3, 1, 4]);
    expect(J.sort(m.neg(), 0)[1].toArray()).toEqual([
      [1, 1, 1],
      [0, 0, 0],
    ]);
    expect(
      J.argsort(
        t([
          [3, 1, 2],
          [0, 5, -1],
        ]),
        -1,
      ).toArray(),
    ).toEqual([
      [1, 2, 0],
      [2, 0, 1],
    ]);
    const [s, k] = J.sort(t(2), 0);
    expect([s.shape, s.item(), k.item()]).toEqual([[], 2, 0]);
    expect(J.sort(J.zeros([2, 0]), 1)[0].shape).toEqual([2, 0]);
  });
  it('topk gives the k largest (or smallest) in order, the earlier of equal elements first', () => {
    const y = t([1, 5, 3, 5, 4]);
    expect(J.topk(y, 3).map((r) => r.toArray())).toEqual([
      [5, 5, 4],
      [1, 3, 4],
    ]);
    expect(y.topk(2, 0, { largest: false, sorted: true }).map((r) => r.toArray())).toEqual([
      [1, 3],
      [0, 2],
    ]);
    expect(J.topk(m, 1, 0)[1].toArray()).toEqual([[1, 1, 1]]);
    expect(J.topk(y, 0)[0].shape).toEqual([0]);
    expect(J.topk(t([1, NaN, 2]), 1)[1].toArray()).toEqual([1]);
    expect(J.topk(t(7), 1)[0].item()).toBe(7);
  });
  it('sends the gradient of the values back by the permutation; the indices are constants', () => {
    expect(
      J.grad((z) =>
        J.sort(z)[0]
          .mul(t([1, 2, 3]))
          .sum(),
      )(t([30, 10, 20])).toArray(),
    ).toEqual([3, 1, 2]);
    expect(
      J.grad((z) => J.topk(z, 1)[0].sum())(
        t([
          [1, 5, 3],
          [7, 0, 2],
        ]),
      ).toArray(),
    ).toEqual([
      [0, 1, 0],
      [1, 0, 0],
    ]);
    expect(J.grad((z) => J.argsort(z).mul(z).sum())(t([2, 1])).toArray()).toEqual([1, 0]);
  });
  it('check k, the axis and the options', () => {
    expect(() => J.topk(t([1, 2]), 3)).toThrow(/^topk: expected an integer in \[0, 2\] for k/);
    expect(() => J.sort(m, 2)).toThrow(/^sort: axis 2 is out of range/);
    expect(() => J.argsort(m, -1, { descending: 'yes' as unknown as boolean })).toThrow(/^argsort: expected true or false for descending/);
    expect(() => m.topk(1, 0, { largest: null as unknown as boolean })).toThrow(/^topk: expected true or false for largest/);
  });
});
