// gather and scatterAdd at positions traced by jit or vmap (values known only when the kernel
// runs): the same values and gradients as eagerly, range errors at run time, isConcrete.
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import { type Tensor, tensor } from '../src/index.js';
import { expectClose } from './support.js';

const i32 = (v: J.NestedArray) => tensor(v, { dtype: 'int32' });
const x = J.randn([3, 4, 5], { dtype: 'float64', rng: J.rng(5) });
// Index shapes smaller than x along the other axes, repeats and negatives (counted from the end).
const cases: [number, Tensor][] = [
  [
    0,
    i32([
      [
        [2, 0, 1, 2, 1],
        [0, 0, 2, -1, 1],
      ],
    ]),
  ],
  [
    1,
    i32([
      [
        [3, 0, 1],
        [1, 1, -2],
      ],
      [
        [0, 3, 3],
        [2, 2, 0],
      ],
    ]),
  ],
  [2, i32([[[4, 0, 4, 4, 1, 3]], [[0, -1, 2, 2, 3, 1]], [[1, 1, 1, 0, 0, 4]]])],
];

describe('gather and scatterAdd at traced positions', () => {
  for (const [axis, index] of cases) {
    it(`jit: values and gradients equal the eager ones (axis ${axis})`, () => {
      const g = (t: Tensor, i: Tensor) => J.gather(t, axis, i);
      const jg = J.jit(g);
      expect(jg.lower(x, index).toString()).toContain('takeIndexed');
      expectClose(jg(x, index), g(x, index), 0);
      expectClose(jg(x, index), g(x, index), 0);
      const loss = (t: Tensor, i: Tensor) => g(t, i).square().sum();
      expectClose(J.jit(J.grad(loss))(x, index), J.grad(loss)(x, index), 0);
      const src = J.randn(index.shape, { dtype: 'float64', rng: J.rng(axis) });
      const s = (t: Tensor, i: Tensor, v: Tensor) => J.scatterAdd(t, axis, i, v);
      expectClose(J.jit(s)(x, index, src), s(x, index, src), 0);
      const sloss = (t: Tensor, v: Tensor, i: Tensor) => s(t, i, v).sin().sum();
      const [gx, gv] = J.jit(J.grad(sloss, { argnums: [0, 1] }))(x, src, index);
      const [ex, ev] = J.grad(sloss, { argnums: [0, 1] })(x, src, index);
      expectClose(gx!, ex!, 0);
      expectClose(gv!, ev!, 0);
      // Forward mode through the traced path too.
      const [, tj] = J.jvp((t: Tensor) => J.jit(g)(t, index), [x], [J.onesLike(x)]);
      expectClose(tj, g(J.onesLike(x), index), 0);
    });
  }

  it('vmap over the index, over x, and over both equals the loop', () => {
    const xs = J.randn([4, 3, 5], { dtype: 'float64', rng: J.rng(8) });
    const is = i32([
      [[0], [4], [2]],
      [[1], [1], [3]],
      [[4], [0], [0]],
      [[2], [3], [1]],
    ]);
    const g = (t: Tensor, i: Tensor) => J.gather(t, 1, i);
    const loop = (f: (b: number) => Tensor) => J.stack([0, 1, 2, 3].map(f));
    expectClose(
      J.vmap(g)(xs, is),
      loop((b) => g(xs.index(b), is.index(b))),
      0,
    );
    expectClose(
      J.vmap(g, { inAxes: [null, 0] })(xs.index(0), is),
      loop((b) => g(xs.index(0), is.index(b))),
      0,
    );
    expectClose(
      J.vmap(g, { inAxes: [0, null] })(xs, is.index(1)),
      loop((b) => g(xs.index(b), is.index(1))),
      0,
    );
    const perExample = J.vmap(J.grad((t: Tensor, i: Tensor) => g(t, i).mul(t.index(0, 0)).sum()));
    expectClose(
      perExample(xs, is),
      loop((b) => J.grad((t: Tensor, i: Tensor) => g(t, i).mul(t.index(0, 0)).sum())(xs.index(b), is.index(b))),
      1e-15,
    );
    const src = J.randn([4, 3, 1], { dtype: 'float64', rng: J.rng(9) });
    const s = (t: Tensor, i: Tensor, v: Tensor) => J.scatterAdd(t, 1, i, v);
    expectClose(
      J.vmap(s)(xs, is, src),
      loop((b) => s(xs.index(b), is.index(b), src.index(b))),
      0,
    );
  });

  it('checks positions when the kernel runs, naming the function', () => {
    const jg = J.jit((t: Tensor, i: Tensor) => J.gather(t, 2, i));
    const ok = i32([[[1]], [[0]], [[4]]]);
    jg(x, ok);
    expect(() => jg(x, i32([[[1]], [[5]], [[4]]]))).toThrow(J.ArgumentError);
    expect(() => jg(x, i32([[[1]], [[5]], [[4]]]))).toThrow(/^gather: index 5 \(entry 1\) is out of range for an axis of size 5/);
    const js = J.jit((t: Tensor, i: Tensor) => J.scatterAdd(t, 2, i, 1));
    expect(() => js(x, i32([[[-6]], [[0]], [[0]]]))).toThrow(/^scatterAdd: index -6 \(entry 0\) is out of range/);
    expect(() => J.jit((t: Tensor, i: Tensor) => J.gather(t, 2, i))(x, i32([[[0, 1]]]).reshape([2, 1]))).toThrow(
      /^gather: index must have the rank of x \(3\)/,
    );
  });

  it('isConcrete tells traced values from readable ones', () => {
    const seen: boolean[] = [];
    expect(J.isConcrete(x)).toBe(true);
    const record =
      (f: (t: Tensor) => Tensor) =>
      (t: Tensor): Tensor => {
        seen.push(J.isConcrete(t), J.isConcrete(f(t)));
        return f(t);
      };
    J.jit(record((t) => t.mul(2)))(x);
    J.vmap(record((t) => t.mul(2)))(x);
    J.grad(record((t) => t.sum()))(x);
    expect(seen).toEqual([false, false, false, false, true, true]);
  });
});
