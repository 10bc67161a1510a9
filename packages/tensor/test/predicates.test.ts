// isnan, isinf, isfinite and the logical ops: values at ordinary and edge points, broadcasting,
// and that autodiff treats them as constants; remainder, fmod and floorDivide against Python's
// and C's conventions.
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';

const edge = J.tensor([0, -0, 1.5, -2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], { dtype: 'float64' });

describe('predicates', () => {
  it('isnan, isinf, isfinite', () => {
    expect(J.isnan(edge).toArray()).toEqual([0, 0, 0, 0, 1, 0, 0]);
    expect(J.isinf(edge).toArray()).toEqual([0, 0, 0, 0, 0, 1, 1]);
    expect(edge.isfinite().toArray()).toEqual([1, 1, 1, 1, 0, 0, 0]);
    expect(J.isfinite(edge).dtype).toBe('bool');
  });
  it('the logical ops treat any non-zero value (NaN included) as true, and broadcast', () => {
    const a = J.tensor([[0], [2], [Number.NaN]]);
    const b = J.tensor([0, -1]);
    expect(J.logicalAnd(a, b).toArray()).toEqual([
      [0, 0],
      [0, 1],
      [0, 1],
    ]);
    expect(J.logicalOr(a, b).toArray()).toEqual([
      [0, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(J.logicalXor(a, b).toArray()).toEqual([
      [0, 1],
      [1, 0],
      [1, 0],
    ]);
    expect(J.logicalNot(a).toArray()).toEqual([[1], [0], [0]]);
    expect(J.logicalAnd(a, 3).shape).toEqual([3, 1]);
  });
  it('are constants to autodiff in both modes', () => {
    const x = J.tensor([1, -2, 3], { dtype: 'float64' });
    const f = (t: J.Tensor) => J.logicalAnd(t, t.sub(1)).astype('float64').add(J.isfinite(t).astype('float64')).mul(t).sum();
    expect(J.grad(f)(x).toArray()).toEqual([1, 2, 2]);
    expect(J.jvp(f, [x], [J.onesLike(x)])[1].item()).toBe(5);
  });
  it('name the function in their errors', () => {
    expect(() => J.isnan(5 as never)).toThrow(/^isnan: expected a Tensor for x/);
    expect(() => J.logicalOr(J.tensor([1, 2]), J.tensor([1, 2, 3]))).toThrow(/^logicalOr: /);
  });
});

describe('remainder, fmod, floorDivide', () => {
  const x = J.tensor([5, -5, 5, -5, 7.5], { dtype: 'float64' });
  const y = J.tensor([3, 3, -3, -3, 2], { dtype: 'float64' });
  it("remainder has the sign of y (Python's %); fmod the sign of x (C's fmod)", () => {
    expect(J.remainder(x, y).toArray()).toEqual([2, 1, -1, -2, 1.5]);
    expect(J.fmod(x, y).toArray()).toEqual([2, -2, 2, -2, 1.5]);
    expect(J.floorDivide(x, y).toArray()).toEqual([1, -2, -2, 1, 3]);
    expect(x.remainder(2).toArray()).toEqual([1, 1, 1, 1, 1.5]);
  });
  it("gradients as PyTorch's: 1 in x, −floor(x/y) (remainder) or −trunc(x/y) (fmod) in y", () => {
    const [dx, dy] = J.grad((a, b) => J.remainder(a, b).sum(), { argnums: [0, 1] })(x, y);
    expect(dx!.toArray()).toEqual([1, 1, 1, 1, 1]);
    expect(dy!.toArray()).toEqual([-1, 2, 2, -1, -3]);
    const [, fy] = J.grad((a, b) => J.fmod(a, b).sum(), { argnums: [0, 1] })(x, y);
    expect(fy!.toArray()).toEqual([-1, 1, 1, -1, -3]);
    expect(J.grad((a) => J.floorDivide(a, 2).sum())(x).toArray()).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('multinomial', () => {
  it('draws categories by weight, without replacement by default', () => {
    const drawn = J.multinomial(J.tensor([0, 1, 0, 3]), 2, { rng: J.rng(5) }).toArray() as number[];
    expect([...drawn].sort()).toEqual([1, 3]);
    const rows = J.multinomial(
      J.tensor([
        [0, 0, 1],
        [1, 0, 0],
      ]),
      4,
      { replacement: true, rng: J.rng(1) },
    );
    expect(rows.toArray()).toEqual([
      [2, 2, 2, 2],
      [0, 0, 0, 0],
    ]);
  });
  it('matches the weights in frequency (with replacement)', () => {
    const draws = J.multinomial(J.tensor([1, 3]), 4000, { replacement: true, rng: J.rng(9) }).toArray() as number[];
    const ones = draws.filter((c) => c === 1).length / draws.length;
    // 4000 draws: the standard error of a 0.75 frequency is 0.007; 0.03 is over four of them.
    expect(Math.abs(ones - 0.75)).toBeLessThan(0.03);
  });
  it('refuses impossible draws with errors naming multinomial', () => {
    expect(() => J.multinomial(J.tensor([1, 0]), 2)).toThrow(
      /^multinomial: cannot draw 2 distinct categories from row 0, which has 1 positive/,
    );
    expect(() => J.multinomial(J.tensor([1, -1]), 1)).toThrow(/^multinomial: weight -1 at row 0, category 1/);
    expect(() => J.multinomial(J.tensor([0, 0]), 1)).toThrow(/^multinomial: row 0 has no positive weight/);
    expect(() => J.multinomial(J.zeros([2, 2, 2]), 1)).toThrow(/^multinomial: probs must be 1-D or 2-D/);
  });
});
