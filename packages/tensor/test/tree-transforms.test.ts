// The transforms over pytrees: gradients keep the structure of the differentiated arguments and
// equal the gradients over the flattened leaves; vjp and jvp take and return trees; numbers and
// null are constants; the old flat call forms keep working (the rest of the suite uses them).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import { type PyTree, type Tensor, tensor } from '../src/index.js';
import { RUNS, expectClose } from './support.js';

const f64 = (v: J.NestedArray | number) => tensor(v, { dtype: 'float64' });

// Random trees of float64 tensors with some constant leaves (numbers and null) among them.
const leafArb: fc.Arbitrary<PyTree> = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 3 }).map(f64) },
  { weight: 1, arbitrary: fc.constantFrom<PyTree>(null, 2.5) },
);
const { tree: treeArb } = fc.letrec<{ tree: PyTree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('w', 'b', 'layers.0', '__proto__', 'constructor'), tie('tree'), { maxKeys: 3 }),
  ),
}));

/** A scalar function of the leaves: Σ_k (k + 1) · Σ sin(leaf_k)², numbers scaling where they stand. */
function leafLoss(leaves: readonly PyTree[]): Tensor {
  return leaves.reduce<Tensor>((acc, l, k) => {
    if (l instanceof J.Tensor)
      return acc.add(
        l
          .sin()
          .square()
          .sum()
          .mul(k + 1),
      );
    return typeof l === 'number' ? acc.mul(l) : acc;
  }, f64(0));
}

describe('grad over pytrees', () => {
  it('returns the argument structure and equals grad over the flattened leaves', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        // A bare number argument is a tensor (as it always was), not a constant.
        fc.pre(typeof tree !== 'number');
        const [leaves, def] = J.treeFlatten(tree);
        // NOTE: a parameter typed as the whole PyTree union also accepts a Tensor, so TypeScript
        // picks the tensor overload; a concrete tree type (as users write) picks the tree one.
        const g = J.grad((t: PyTree[]) => leafLoss(J.treeLeaves(t)))(tree as PyTree[]) as PyTree;
        const [gLeaves, gDef] = J.treeFlatten(g);
        expect(gDef.equals(def)).toBe(true);
        const tensors = leaves.flatMap((l, i) => (l instanceof J.Tensor ? [i] : []));
        // Constants get null.
        leaves.forEach((l, i) => {
          if (!(l instanceof J.Tensor)) expect(gLeaves[i]).toBeNull();
        });
        if (tensors.length === 0) return;
        const flat = J.grad(
          (...ts: Tensor[]) => leafLoss(leaves.map((l, i) => (tensors.includes(i) ? ts[tensors.indexOf(i)]! : (l as PyTree)))),
          {
            argnums: tensors.map((_, k) => k),
          },
        )(...tensors.map((i) => leaves[i] as Tensor));
        expect(flat.length).toBe(tensors.length);
        tensors.forEach((i, k) => expectClose(gLeaves[i] as Tensor, flat[k]!, 1e-12, 1e-12));
      }),
      { numRuns: RUNS },
    );
  });
  it('grad(loss)({ w1, b1 }, x) is { w1, b1 }; argnums give a tuple of trees', () => {
    const loss = (p: { w: Tensor; b: Tensor }, x: Tensor) => p.w.mul(x).add(p.b).sum();
    const p = { w: f64([1, 2]), b: f64(0.5) };
    const x = f64([3, 4]);
    const g = J.grad(loss)(p, x);
    expect(Object.keys(g).sort()).toEqual(['b', 'w']);
    expectClose(g.w, [3, 4]);
    expectClose(g.b, 2);
    const [gp, gx] = J.grad(loss, { argnums: [0, 1] })(p, x) as [{ w: Tensor; b: Tensor }, Tensor];
    expectClose(gp.w, [3, 4]);
    expectClose(gx, [1, 2]);
    const [value, g2] = J.valueAndGrad(loss)(p, x);
    expect(value.item()).toBe(11 + 1);
    expectClose(g2.w, [3, 4]);
  });
  it('hasAux returns the auxiliary tree beside the gradient, as JAX', () => {
    const f = (p: { w: Tensor }) => [p.w.square().sum(), { double: p.w.mul(2), n: 3 }] as const;
    const [g, aux] = J.grad(f, { hasAux: true })({ w: f64([1, 2]) });
    expectClose(g.w, [2, 4]);
    expectClose(aux.double, [2, 4]);
    expect(aux.n).toBe(3);
    // The aux value is a plain tensor: it carries no trace of the transform.
    expect(aux.double.requiresGrad).toBe(false);
    const [[value, aux2], g2] = J.valueAndGrad(f, { hasAux: true })({ w: f64([1, 2]) });
    expect(value.item()).toBe(5);
    expect(aux2.n).toBe(3);
    expectClose(g2.w, [2, 4]);
    expect(() => J.grad((x: Tensor) => x.sum(), { hasAux: true })(f64([1]))).toThrow(J.TraceError);
    expect(() => J.grad((x: Tensor) => [x, 1] as const, { hasAux: true })(f64([1, 2]))).toThrow(J.NonScalarOutputError);
    expect(() =>
      J.grad(((x: Tensor) => [[x.sum()], 1]) as unknown as (x: Tensor) => readonly [Tensor, number], { hasAux: true })(f64([1])),
    ).toThrow(/^grad: with hasAux the function must return \[loss, aux\]/);
    // aux may be anything, as in JAX: a string, a Map.
    const [gs, label] = J.grad((x: Tensor) => [x.sum(), 'label'] as const, { hasAux: true })(f64([1, 2]));
    expect(gs.toArray()).toEqual([1, 1]);
    expect(label).toBe('label');
    expect(() => J.grad((x: Tensor) => x.sum(), { hasAux: 1 as unknown as boolean })).toThrow(/^grad: expected true or false for hasAux/);
  });
  it('nests: the Hessian-vector product of a function of a tree', () => {
    const f = (p: { a: Tensor; b: Tensor }) => p.a.square().mul(p.b).sum();
    const p = { a: f64([1, 2]), b: f64([3, 4]) };
    // d/dp ⟨∇f(p), v⟩ with v = { a: [1, 0], b: [0, 0] }: ∂²f/∂a₁∂· = { a: [2·b₁, 0], b: [2·a₁, 0] }.
    const hvp = J.grad((q: { a: Tensor; b: Tensor }) => {
      const g = J.grad(f)(q);
      return g.a.mul(f64([1, 0])).sum();
    })(p);
    expectClose(hvp.a, [6, 0]);
    expectClose(hvp.b, [2, 0]);
    const [, tangent] = J.jvp(J.grad(f), [p], [{ a: f64([1, 0]), b: null }]);
    expectClose((tangent as { a: Tensor }).a, [6, 0]);
  });
  it('int32 and bool leaves are not differentiable, and the message names their path', () => {
    const p = { w: f64([1]), steps: tensor([1], { dtype: 'int32' }) };
    expect(() => J.grad((q: typeof p) => q.w.sum())(p)).toThrow(J.NotDifferentiableError);
    expect(() => J.grad((q: typeof p) => q.w.sum())(p)).toThrow(/^grad: argument 0 at \.steps has dtype int32/);
    // Outside argnums they are constants, as before.
    expect(J.grad((w: Tensor, q: typeof p) => w.mul(q.steps).sum())(f64([2]), p).toArray()).toEqual([1]);
  });
});

describe('vjp and jvp over pytrees', () => {
  it('vjp: primals, output and cotangent are trees; null cotangent leaves are zero', () => {
    const f = (p: { a: Tensor; k: number }, x: Tensor) => ({ y: p.a.mul(x).mul(p.k), z: [x.sum(), 7] });
    const [out, pullback] = J.vjp(f, { a: f64([1, 2]), k: 3 }, f64([5, 6]));
    expectClose(out.y, [15, 36]);
    expect(out.z[1]).toBe(7);
    const [gp, gx] = pullback({ y: f64([1, 1]), z: [null, null] });
    expectClose(gp.a, [15, 18]);
    expect(gp.k).toBeNull();
    expectClose(gx, [3, 6]);
    const [, gx2] = pullback({ y: null, z: [1, null] });
    expectClose(gx2, [1, 1]);
    expect(() => pullback({ y: f64([1, 1]) })).toThrow(J.TreeStructureError);
    expect(() => pullback({ y: f64([1, 1]), z: [null] })).toThrow(/^vjp: the cotangent must have the structure of the output; at \.z/);
    expect(() => pullback({ y: f64([1]), z: [null, null] })).toThrow(J.ShapeError);
    expect(() => pullback({ y: null, z: [null, f64(1)] })).toThrow(/^vjp: leaf 2 of the output is 7, a constant/);
  });
  it('jvp: tangents must match the primals; constants take null', () => {
    const f = (p: { a: Tensor; k: number }) => [p.a.sin().mul(p.k), p.k];
    const p = { a: f64([0, 1]), k: 2 };
    const [out, t] = J.jvp(f, [p], [{ a: f64([1, 1]), k: null }]);
    expectClose(out[0] as Tensor, [0, 2 * Math.sin(1)]);
    expectClose((t as (Tensor | null)[])[0]!, [2, 2 * Math.cos(1)]);
    expect((t as (Tensor | null)[])[1]).toBeNull();
    expect(() => J.jvp(f, [p], [{ a: f64([1, 1]) }])).toThrow(J.TreeStructureError);
    expect(() => J.jvp(f, [p], [{ a: f64([1, 1]) }])).toThrow(/^jvp: tangent 0 must have the structure of primal 0; at \.k/);
    expect(() => J.jvp(f, [p], [{ a: f64([1, 1]), k: f64(1) }])).toThrow(/^jvp: tangent 0 at \.k must be null or a number/);
    expect(() => J.jvp(f, [p], [{ a: f64([1]), k: null }])).toThrow(/^jvp: tangent 0 at \.a has shape \[1\]/);
    // A null tangent is zero.
    const [, zero] = J.jvp(f, [p], [{ a: null, k: null }]);
    expect((zero as Tensor[])[0]!.toArray()).toEqual([0, 0]);
  });
  it('vjp and jvp agree on trees: ⟨ū, J·t⟩ = ⟨Jᵀū, t⟩', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        fc.pre(typeof tree !== 'number');
        const g = (t: PyTree) => J.treeMap((l) => (l instanceof J.Tensor ? l.sin().mul(l) : l), t);
        const tangent = J.treeMap((l) => (l instanceof J.Tensor ? l.cos() : null), tree);
        const [out, pullback] = J.vjp(g, tree);
        const cotangent = J.treeMap((l) => (l instanceof J.Tensor ? l.exp() : null), out);
        const [, jt] = J.jvp(g, [tree], [tangent]);
        const [jtu] = pullback(cotangent);
        const dot = (a: PyTree, b: PyTree) =>
          J.treeLeaves(a).reduce<number>(
            (s, l, i) =>
              l instanceof J.Tensor
                ? s +
                  l
                    .mul(J.treeLeaves(b)[i] as Tensor)
                    .sum()
                    .item()
                : s,
            0,
          );
        expect(dot(cotangent, jt)).toBeCloseTo(dot(jtu!, tangent), 9);
      }),
      { numRuns: RUNS },
    );
  });
  it('a function returning something that is not a pytree is a TraceError', () => {
    expect(() => J.vjp(() => 'out' as unknown as Tensor, f64(1))).toThrow(J.TraceError);
    expect(() => J.jvp(() => new Map() as unknown as Tensor, [f64(1)], [f64(1)])).toThrow(/^jvp: the output is a Map/);
    expect(() => J.grad(() => ({ loss: f64(1) }) as unknown as Tensor)(f64(1))).toThrow(/^grad: the function must return a Tensor/);
  });
});
