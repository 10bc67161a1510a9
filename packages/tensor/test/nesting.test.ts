// Nested transforms: any combination and order, with no perturbation confusion.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import { tensor, type Tensor } from '../src/index.js';
import { RUNS, expectClose, tensorArb, valueArb } from './support.js';

describe('perturbation confusion', () => {
  // d/dx [ x · d/dy (x + y) ] = 1: the inner derivative must not see the outer x.
  it('reverse over reverse', () => {
    fc.assert(
      fc.property(valueArb('any'), (v) => {
        const x0 = tensor(v, { dtype: 'float64' });
        const outer = J.grad((x: Tensor) => x.mul(J.grad((y: Tensor) => x.add(y))(x)))(x0);
        expect(outer.item()).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });
  it('forward over forward', () => {
    fc.assert(
      fc.property(valueArb('any'), (v) => {
        const x0 = tensor(v, { dtype: 'float64' });
        const inner = (x: Tensor) => J.jvp((y: Tensor) => x.add(y), [x], [tensor(1, { dtype: 'float64' })])[1];
        const [, outer] = J.jvp((x: Tensor) => x.mul(inner(x)), [x0], [tensor(1, { dtype: 'float64' })]);
        expect(outer.item()).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });
  it('mixed: forward over reverse and reverse over forward', () => {
    const x0 = tensor(2.5, { dtype: 'float64' });
    const one = tensor(1, { dtype: 'float64' });
    const fr = J.jvp((x: Tensor) => x.mul(J.grad((y: Tensor) => x.add(y))(x)), [x0], [one])[1];
    const rf = J.grad((x: Tensor) => x.mul(J.jvp((y: Tensor) => x.add(y), [x], [one])[1]))(x0);
    expect(fr.item()).toBe(1);
    expect(rf.item()).toBe(1);
  });
});

describe('higher-order derivatives', () => {
  // A test-local composite so the function mixes elements: Σ_i x_i x_{i+1}.
  const prodPairs = (x: Tensor) => (x.size > 1 ? x.slice(0, 0, -1).mul(x.slice(0, 1)).sum() : x.sum().mul(0));
  const g = (x: Tensor) => x.sin().mul(x.square()).sum().add(prodPairs(x));

  it('grad(grad(f)) matches the analytic second derivative', () => {
    const h = (x: Tensor) => J.grad((y: Tensor) => J.grad((z: Tensor) => z.pow(4).sum())(y).sum())(x);
    expectClose(h(tensor([1, 2], { dtype: 'float64' })), [12, 48], 1e-12);
  });
  it('Hessian-vector products: jvp of grad equals grad of ⟨grad f, v⟩ equals hessian·v', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(tensorArb([n], 'any'), tensorArb([n], 'any'))),
        ([x, v]) => {
          const forwardOverReverse = J.jvp(J.grad(g), [x], [v])[1];
          const reverseOverReverse = J.grad((y: Tensor) => J.grad(g)(y).mul(v).sum())(x);
          const reverseOverForward = J.grad((y: Tensor) => J.jvp(g, [y], [v])[1])(x);
          const full = J.matmul(J.hessian(g)(x), v);
          expectClose(forwardOverReverse, full, 1e-10, 1e-10);
          expectClose(reverseOverReverse, full, 1e-10, 1e-10);
          expectClose(reverseOverForward, full, 1e-10, 1e-10);
        },
      ),
      { numRuns: RUNS },
    );
  });
  it('jacobian forward equals reverse; jacobian(grad f) is the symmetric Hessian', () => {
    const x = tensor(
      [
        [0.3, -0.7],
        [1.1, 0.2],
      ],
      { dtype: 'float64' },
    );
    const fn = (y: Tensor) => y.matmul(y).tanh();
    expectClose(J.jacobian(fn, { mode: 'forward' })(x), J.jacobian(fn)(x), 1e-12, 1e-12);
    expect(J.jacobian(fn)(x).shape).toEqual([2, 2, 2, 2]);
    const scalar = (y: Tensor) => y.matmul(y).tanh().sum();
    const h = J.jacobian(J.grad(scalar))(x);
    expect(h.shape).toEqual([2, 2, 2, 2]);
    const hm = h.reshape([4, 4]);
    expectClose(hm, hm.T, 1e-12, 1e-12);
    expectClose(J.hessian(scalar)(x), h, 1e-12, 1e-12);
  });
  it('third order: grad of grad of grad', () => {
    const third = J.grad(J.grad(J.grad((x: Tensor) => x.pow(5).sum())));
    expectClose(third(tensor([2], { dtype: 'float64' })), [5 * 4 * 3 * 4], 1e-12);
  });
  it('grad with argnums, valueAndGrad, vjp with a number cotangent', () => {
    const h = (a: Tensor, b: Tensor) => a.mul(b).sum();
    const [ga, gb] = J.grad(h, { argnums: [0, 1] })(tensor([1, 2]), tensor([3, 4]));
    expect(ga!.toArray()).toEqual([3, 4]);
    expect(gb!.toArray()).toEqual([1, 2]);
    const [value, gradient] = J.valueAndGrad(h)(tensor([1, 2]), tensor([3, 4]));
    expect(value.item()).toBe(11);
    expect(gradient.toArray()).toEqual([3, 4]);
    const [out, pullback] = J.vjp(h, tensor([1, 2]), tensor([3, 4]));
    expect(out.item()).toBe(11);
    expect(pullback(2).map((t) => t.toArray())).toEqual([
      [6, 8],
      [2, 4],
    ]);
  });
});
