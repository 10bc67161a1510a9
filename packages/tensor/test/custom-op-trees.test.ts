// customOp over pytrees: tree arguments (numbers and null passed through), tree results split
// from one flat primitive output, rules over trees, in both modes, to second order, under vmap
// and jit, and the typed errors of a malformed rule.
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectClose } from './support.js';

const f64 = (v: number[]) => J.tensor(v, { dtype: 'float64' });

// { y: a·b, z: sin(a)·s } from the argument pair [a, b] and a scale s (a number, not differentiated).
const plain = ([a, b]: Tensor[], s: number) => ({ y: a!.mul(b!), z: a!.sin().mul(s) });
const pairVjp = (g: { y: Tensor; z: Tensor }, [[a, b], s]: [Tensor[], number]): J.CustomTangents<[Tensor[], number]> => [
  [g.y.mul(b!).add(g.z.mul(a!.cos()).mul(s)), g.y.mul(a!)],
  null,
];
const withoutJvp = J.customOp({ name: 'pair', forward: plain, vjp: pairVjp });
const withJvp = J.customOp({
  name: 'pair',
  forward: plain,
  vjp: pairVjp,
  jvp: ([t], [[a, b], s]) => {
    const [da, db] = t ?? [null, null];
    const y = (da ? da.mul(b!) : a!.mul(0)).add(db ? db.mul(a!) : a!.mul(0));
    return { y, z: da ? da.mul(a!.cos()).mul(s) : null };
  },
});
// A scalar of both outputs, so one function checks every leaf's cotangent.
const scalarOf = (op: typeof plain) => (a: Tensor, b: Tensor) => {
  const { y, z } = op([a, b], 1.5);
  return y.sum().add(z.mul(y).sum());
};

const a0 = f64([0.3, -1.2, 2]);
const b0 = f64([1.1, 0.4, -0.7]);

describe('customOp over pytrees', () => {
  for (const [label, op] of [
    ['with a jvp', withJvp],
    ['jvp from the vjp', withoutJvp],
  ] as const) {
    it(`${label}: returns the tree and matches the composite's derivatives (gradcheck, second order)`, () => {
      const out = op([a0, b0], 1.5);
      expect(Object.keys(out)).toEqual(['y', 'z']);
      expectClose(out.y, a0.mul(b0), 0);
      expectClose(out.z, a0.sin().mul(1.5), 0);
      const report = J.gradcheck(scalarOf(op), [a0, b0]);
      expect(report.ok, JSON.stringify(report.worst)).toBe(true);
      const [ga, gb] = J.grad(scalarOf(op), { argnums: [0, 1] })(a0, b0);
      const [ea, eb] = J.grad(scalarOf(plain), { argnums: [0, 1] })(a0, b0);
      expectClose(ga!, ea!, 1e-14);
      expectClose(gb!, eb!, 1e-14);
      const [, tangent] = J.jvp(scalarOf(op), [a0, b0], [J.onesLike(a0), J.onesLike(b0)]);
      const [, expected] = J.jvp(scalarOf(plain), [a0, b0], [J.onesLike(a0), J.onesLike(b0)]);
      expectClose(tangent, expected, 1e-13);
    });

    it(`${label}: under vmap, vmap(grad) and jit it equals the loop and eager`, () => {
      const as = J.randn([4, 3], { dtype: 'float64', rng: J.rng(3) });
      const f = (a: Tensor) => scalarOf(op)(a, b0);
      const loop = (fn: (x: Tensor) => Tensor) => J.stack([0, 1, 2, 3].map((i) => fn(as.index(i))));
      expectClose(J.vmap(f)(as), loop(f), 1e-14);
      expectClose(J.vmap(J.grad(f))(as), loop(J.grad(f)), 1e-13);
      const jitted = J.jit((a: Tensor, b: Tensor) => op([a, b], 1.5));
      const first = jitted(a0, b0);
      const replayed = jitted(a0, b0);
      expectClose(replayed.y, first.y, 0);
      expectClose(replayed.z, a0.sin().mul(1.5), 0);
      expectClose(J.grad((a: Tensor) => J.jit(scalarOf(op))(a, b0))(a0), J.grad(f)(a0), 1e-14);
    });
  }

  it('passes number and null leaves through; a new number is a new primitive', () => {
    const scaled = J.customOp({
      forward: (x: { v: Tensor; k: number; none: null }) => x.v.mul(x.k),
      vjp: (g: Tensor, [x]: [{ v: Tensor; k: number; none: null }]) => [{ v: g.mul(x.k), k: null, none: null }],
    });
    const v = f64([1, 2]);
    expect(scaled({ v, k: 2, none: null }).toArray()).toEqual([2, 4]);
    expect(scaled({ v, k: 3, none: null }).toArray()).toEqual([3, 6]);
    const g = J.grad((t: Tensor) => scaled({ v: t, k: 3, none: null }).sum())(v);
    expect(g.toArray()).toEqual([3, 3]);
  });

  it('a null cotangent (whole argument or leaf) is zero, and a null output leaf stays null', () => {
    const op = J.customOp({
      forward: (x: Tensor, y: Tensor[]) => [x.mul(2), null, y[0]!.add(y[1]!)],
      vjp: (g: (Tensor | null)[]) => [g[0]!.mul(2), [g[2]!, null]],
    });
    const x = f64([1]);
    const y = [f64([2]), f64([3])];
    const out = op(x, y);
    expect(out[1]).toBeNull();
    const grads = J.grad((p: { x: Tensor; y: Tensor[] }) => {
      const [u, , w] = op(p.x, p.y);
      return u!.add(w!).sum();
    })({ x, y });
    expect(grads.x.toArray()).toEqual([2]);
    expect(grads.y.map((t) => t.toArray())).toEqual([[1], [0]]);
  });

  it('names the op in typed errors of malformed results and rules', () => {
    const mixed = J.customOp({ name: 'mixed', forward: (x: Tensor) => [x, x.astype('float32')], vjp: (g) => [g[0]!] });
    expect(() => mixed(f64([1]))).toThrow(J.ArgumentError);
    expect(() => mixed(f64([1]))).toThrow(/^mixed: forward's result leaves must share one dtype/);
    const numeric = J.customOp({ name: 'numeric', forward: (x: Tensor) => [x, 2] as unknown as Tensor[], vjp: (g) => [g[0]!] });
    expect(() => numeric(f64([1]))).toThrow(/^numeric: forward's result may hold tensors and null only/);
    const empty = J.customOp({ name: 'empty', forward: (_x: Tensor) => ({}), vjp: () => [null] });
    expect(() => empty(f64([1]))).toThrow(/^empty: forward must return a tensor or a pytree holding one/);
    const badTree = J.customOp({
      name: 'badTree',
      forward: (p: { a: Tensor; b: Tensor }) => p.a.mul(p.b),
      // Untyped JavaScript can return any shape of tree; TypeScript would refuse this one.
      vjp: ((g: Tensor) => [{ a: g }]) as unknown as (g: Tensor) => [{ a: Tensor; b: Tensor }],
    });
    const p = { a: f64([1]), b: f64([2]) };
    expect(() => J.grad((q: typeof p) => badTree(q).sum())(p)).toThrow(J.TreeStructureError);
    expect(() => J.grad((q: typeof p) => badTree(q).sum())(p)).toThrow(/^badTree: vjp's cotangent for argument 0 must have the structure/);
    const count = J.customOp({
      name: 'count',
      forward: (x: Tensor, y: Tensor) => x.add(y),
      vjp: ((g: Tensor) => [g]) as unknown as (g: Tensor) => [Tensor, Tensor],
    });
    expect(() => J.grad((x: Tensor) => count(x, x).sum())(f64([1]))).toThrow(/^count: vjp must return an array of 2 cotangents/);
    const badJvp = J.customOp({
      name: 'badJvp',
      forward: (x: Tensor) => ({ y: x }),
      vjp: (g: { y: Tensor }) => [g.y],
      jvp: () => ({ y: f64([1, 2]) }),
    });
    expect(() => J.jvp((x: Tensor) => badJvp(x).y, [f64([1])], [f64([1])])).toThrow(
      /^badJvp: jvp's result leaf 0 must be a tensor of shape \[1\]/,
    );
    expect(() => J.customOp({ forward: (x: Tensor) => x, vjp: (g: Tensor) => [g] })('x' as unknown as Tensor)).toThrow(J.ArgumentError);
  });
});
