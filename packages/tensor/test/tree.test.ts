// Pytree utilities: structure preservation over random trees, JAX's leaf order, ravel both ways
// (and its derivatives), and hostile trees (cycles, Maps, class instances, __proto__ keys).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import { type PyTree, type Tensor, tensor } from '../src/index.js';
import { RUNS, expectClose } from './support.js';

const leafArb: fc.Arbitrary<PyTree> = fc.oneof(
  fc.constant(null),
  fc.double({ noNaN: true }),
  fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { maxLength: 4 }).map((v) => tensor(v, { dtype: 'float64' })),
);
// Keys include the ones that would pollute a prototype if assigned naively.
const keyArb = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'layers.0.weight'));
const { tree: treeArb } = fc.letrec<{ tree: PyTree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.uniqueArray(fc.tuple(keyArb, tie('tree')), { maxLength: 4, selector: ([k]) => k }).map((entries) => {
      const o: Record<string, PyTree> = {};
      for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      return o;
    }),
  ),
}));

/** A tree as plain data for toEqual: tensors become their arrays, and objects keep own keys only. */
function plain(t: unknown): unknown {
  if (t instanceof J.Tensor) return { tensor: t.toArray() };
  if (Array.isArray(t)) return t.map(plain);
  if (t !== null && typeof t === 'object') {
    return Object.fromEntries(
      Object.keys(t)
        .sort()
        .map((k) => [k, plain((t as Record<string, unknown>)[k])]),
    );
  }
  return t;
}

describe('treeFlatten and treeUnflatten', () => {
  it('round-trip any tree, and unflatten(flatten(t)) has the same structure', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const [leaves, def] = J.treeFlatten(tree);
        expect(leaves.length).toBe(def.numLeaves);
        const back = J.treeUnflatten(def, leaves);
        expect(plain(back)).toEqual(plain(tree));
        expect(J.treeFlatten(back as PyTree)[1].equals(def)).toBe(true);
        expect(J.treeLeaves(tree)).toEqual(leaves);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });
  it('visits objects in sorted key order, arrays in index order, depth first; null is a leaf', () => {
    const [leaves, def] = J.treeFlatten({ b: 2, a: [1, { y: null, x: 0 }] });
    expect(leaves).toEqual([1, 0, null, 2]);
    expect(String(def)).toBe('{a: [*, {x: *, y: *}], b: *}');
    expect(J.treeFlatten({ a: [1, { x: 5, y: 5 }], b: 9 })[1].equals(def)).toBe(true);
    expect(J.treeFlatten({ a: [1, { x: 5 }], b: 9 })[1].equals(def)).toBe(false);
    expect(J.treeFlatten([1, 2])[1].equals(J.treeFlatten({ 0: 1, 1: 2 })[1])).toBe(false);
    expect(String(J.treeFlatten(tensor(1))[1])).toBe('*');
    expect(String(J.treeFlatten([])[1])).toBe('[]');
    expect(String(J.treeFlatten({ 'layers.0': 1 })[1])).toBe('{"layers.0": *}');
  });
  it('unflatten checks the number of leaves', () => {
    const [, def] = J.treeFlatten([1, 2]);
    expect(() => J.treeUnflatten(def, [1])).toThrow(/^treeUnflatten: the structure \[\*, \*\] has 2 leaves, got 1/);
    expect(() => J.treeUnflatten({} as J.TreeDef, [])).toThrow(J.ArgumentError);
  });
});

describe('treeMap', () => {
  it('keeps the structure and maps each leaf', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const mapped = J.treeMap((l) => (l instanceof J.Tensor ? l.mul(2) : l === null ? null : l + 1), tree);
        const [leaves, def] = J.treeFlatten(tree);
        const [mappedLeaves, mappedDef] = J.treeFlatten(mapped as PyTree);
        expect(mappedDef.equals(def)).toBe(true);
        mappedLeaves.forEach((m, i) => {
          const l = leaves[i]!;
          expect(plain(m)).toEqual(plain(l instanceof J.Tensor ? l.mul(2) : l === null ? null : l + 1));
        });
        // The leaves of the result, read back in the same order.
        const back: unknown[] = [];
        J.treeMap((l) => back.push(l), tree);
        expect(back).toEqual(leaves);
      }),
      { numRuns: RUNS },
    );
  });
  it('zips trees of one structure', () => {
    const params = { w: tensor([1, 2]), b: tensor(1) };
    const grads = { w: tensor([0.5, 0.5]), b: tensor(1) };
    const next = J.treeMap((p, g) => (p as Tensor).sub((g as Tensor).mul(0.1)), params, grads);
    expectClose(next.w, [0.95, 1.95]);
    expectClose(next.b, 0.9);
  });
  it('names the path where the structures differ', () => {
    expect(() => J.treeMap((a) => a, { a: 1, b: [2] }, { a: 1, b: [2, 3] })).toThrow(J.TreeStructureError);
    expect(() => J.treeMap((a) => a, { a: 1, b: [2] }, { a: 1, b: [2, 3] })).toThrow(/^treeMap: tree 1 .* at \.b, /);
    expect(() => J.treeMap((a) => a, [{ x: 1 }], [{ y: 1 }])).toThrow(/at \[0\]\.x, tree 0: a subtree, tree 1: nothing/);
    expect(() => J.treeMap((a) => a, [1, 2], [1, [2]])).toThrow(/at \[1\], tree 0: a leaf, tree 1: an array of length 1/);
    expect(() => J.treeMap('f' as unknown as () => 0, [1])).toThrow(J.ArgumentError);
  });
});

describe('hostile trees', () => {
  it('only arrays and plain objects are nodes', () => {
    class Params {
      w = tensor(1);
    }
    for (const bad of [
      new Map(),
      new Set(),
      new Params(),
      () => 1,
      'a',
      true,
      undefined,
      new Float32Array(2),
      1n,
      Symbol('s'),
      new Date(),
    ]) {
      expect(() => J.treeFlatten([bad] as unknown as PyTree)).toThrow(J.ArgumentError);
      expect(() => J.treeFlatten([bad] as unknown as PyTree)).toThrow(/^treeFlatten: the tree at \[0\] is /);
    }
    // A null-prototype object is a plain object.
    const bare = Object.create(null) as Record<string, PyTree>;
    bare.a = 1;
    expect(J.treeLeaves(bare)).toEqual([1]);
  });
  it('cycles, holes, getters, symbol keys and deep nesting are typed errors', () => {
    const cyclic: { a: unknown[] } = { a: [] };
    cyclic.a.push(cyclic);
    expect(() => J.treeFlatten(cyclic as unknown as PyTree)).toThrow(/^treeFlatten: the tree contains itself at \.a\[0\]/);
    // Shared subtrees (a DAG) are not cycles.
    const shared = [tensor(1)];
    expect(J.treeLeaves([shared, shared]).length).toBe(2);
    const holey = [1, 2, 3];
    delete holey[1];
    expect(() => J.treeFlatten(holey)).toThrow(/hole/);
    let ran = false;
    const withGetter = Object.defineProperty({}, 'g', {
      enumerable: true,
      get: () => {
        ran = true;
        return 1;
      },
    });
    expect(() => J.treeFlatten(withGetter)).toThrow(/getter/);
    expect(ran).toBe(false);
    expect(() => J.treeFlatten({ [Symbol('k')]: 1 } as unknown as PyTree)).toThrow(/symbol keys/);
    let deep: PyTree = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    expect(() => J.treeFlatten(deep)).toThrow(J.ArgumentError);
  });
  it('__proto__ and constructor keys round-trip as own keys and pollute nothing', () => {
    const evil = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": 2}}') as PyTree;
    const [leaves, def] = J.treeFlatten(evil);
    // '_' sorts before 'c'.
    expect(leaves).toEqual([1, 2]);
    const out = J.treeUnflatten(def, [tensor(1), tensor(2)]) as Record<string, Record<string, Tensor>>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')!.value.polluted.item()).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const mapped = J.treeMap((l) => l, evil) as Record<string, unknown>;
    expect(Object.getPrototypeOf(mapped)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).prototype).toBeUndefined();
  });
});

describe('ravel', () => {
  it('concatenates the float leaves in leaf order; unravel restores shapes, dtypes and constants', () => {
    const tree = { w: tensor([[1, 2]]), b: tensor(3, { dtype: 'float64' }), n: 4, i: tensor([7], { dtype: 'int32' }), z: null };
    const [flat, unravel] = J.ravel(tree);
    expect(flat.toArray()).toEqual([3, 1, 2]);
    expect(flat.dtype).toBe('float64');
    const back = unravel(flat.mul(2));
    expect(back.w.toArray()).toEqual([[2, 4]]);
    expect(back.w.dtype).toBe('float32');
    expect(back.b.item()).toBe(6);
    expect(back.b.dtype).toBe('float64');
    expect(back.n).toBe(4);
    expect(back.i).toBe(tree.i);
    expect(back.z).toBeNull();
    expect(() => unravel(tensor([1, 2]))).toThrow(J.ShapeError);
    expect(() => unravel(tensor([[1, 2, 3]]))).toThrow(/^ravel: unravel expected a vector of shape \[3\]/);
    expect(J.ravel([1, null])[0].shape).toEqual([0]);
  });
  it('round-trips random trees', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const [flat, unravel] = J.ravel(tree);
        expect(plain(unravel(flat))).toEqual(plain(tree));
        const [again] = J.ravel(unravel(flat));
        expect(again.toArray()).toEqual(flat.toArray());
      }),
      { numRuns: RUNS },
    );
  });
  it('is differentiable both ways, to second order', () => {
    const tree = { a: tensor([1, 2], { dtype: 'float64' }), b: tensor([[3]], { dtype: 'float64' }) };
    const [flat, unravel] = J.ravel(tree);
    // f(v) = Σ a² · b through unravel: its Hessian in the flat vector.
    const f = (v: Tensor) => {
      const t = unravel(v);
      return t.a.square().sum().mul(t.b.sum());
    };
    expectClose(J.grad(f)(flat), [2 * 1 * 3, 2 * 2 * 3, 1 + 4]);
    expectClose(J.hessian(f)(flat), [
      [6, 0, 2],
      [0, 6, 4],
      [2, 4, 0],
    ]);
    // And the other way: ravel inside a differentiated function.
    const g = J.grad((a: Tensor) =>
      J.ravel({ a, c: a.mul(3) })[0]
        .square()
        .sum(),
    )(tensor([1, -1], { dtype: 'float64' }));
    expectClose(g, [20, -20]);
  });
});
