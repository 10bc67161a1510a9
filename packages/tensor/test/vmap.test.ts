// vmap against the loop it replaces: every primitive's batching rule (the op table's rows,
// keyed by PrimitiveName), with random batch axes, forward and under grad; the composites
// (conv, pooling, attention, custom ops); vmap nested with itself and with jvp and grad in
// every order; jacfwd and jacrev; the typed errors. All in float64.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import { AxisError, ArgumentError, ShapeError, TraceError, tensor, type Tensor } from '../src/index.js';
import type { PrimitiveName } from '../src/prims/registry.js';
import { type ConstantSpec, type OpSpec, compositeRows, primitiveRows } from './op-rows.js';
import { RUNS, expectClose, shapeArb, tensorArb } from './support.js';

const f64 = (v: J.NestedArray) => tensor(v, { dtype: 'float64' });

/**
 * Example b of a batch built from one drawn input: its values rotated by b places, so every
 * example stays in the row's input domain (and keeps its absence of ties) but differs.
 */
function example(x: Tensor, b: number): Tensor {
  const v = Array.from(x.data());
  const r = v.length === 0 ? 0 : b % v.length;
  return tensor(Float64Array.from([...v.slice(r), ...v.slice(0, r)]), { shape: [...x.shape], dtype: x.dtype });
}

/** The examples of one input, stacked along `axis` (null: one value shared by all). */
function batchOf(x: Tensor, size: number, axis: number | null): Tensor {
  if (axis === null) return x;
  return J.stack(
    Array.from({ length: size }, (_, b) => example(x, b)),
    axis,
  );
}

/** A batch size, and per input a batch axis in [−(rank+1), rank] or null (at least one batched). */
const axesArb = (ranks: readonly number[]) =>
  fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.tuple(...ranks.map((r) => fc.option(fc.integer({ min: -(r + 1), max: r }), { freq: 4 }))))
    .filter(([, axes]) => axes.some((a) => a !== null));

/** vmap(fn) on the stacked examples equals the stack of fn on each, for random in/out axes. */
function checkAgainstLoop(fn: (...xs: Tensor[]) => Tensor, xs: Tensor[], size: number, inAxes: (number | null)[], out: number): void {
  const batched = xs.map((x, i) => batchOf(x, size, inAxes[i]!));
  const expected = J.stack(
    Array.from({ length: size }, (_, b) => fn(...xs.map((x, i) => (inAxes[i] === null ? x : example(x, b))))),
    out,
  );
  expectClose(J.vmap(fn, { inAxes, outAxes: out })(...batched), expected, 1e-10, 1e-10);
}

const isOpSpec = (row: OpSpec | ConstantSpec): row is OpSpec => 'fn' in row;

/** A row's inputs and function; a constant row's function of one float input. */
function rowCase(row: OpSpec | ConstantSpec): { inputs: fc.Arbitrary<Tensor[]>; fn: (...xs: Tensor[]) => Tensor } {
  if (isOpSpec(row)) return { inputs: row.inputs, fn: row.fn };
  return { inputs: shapeArb().chain((s) => tensorArb(s, 'any').map((x) => [x])), fn: (x) => row.constant(x!) };
}

describe('every primitive batches like the loop', () => {
  const rows = Object.entries(primitiveRows) as [PrimitiveName, OpSpec | ConstantSpec][];
  for (const [name, row] of rows) {
    const { inputs, fn } = rowCase(row);
    it(`${name}: ${row.name}`, () => {
      fc.assert(
        fc.property(
          inputs.chain((xs) => fc.tuple(fc.constant(xs), axesArb(xs.map((x) => x.ndim)), fc.integer({ min: -1, max: 0 }))),
          ([xs, [size, inAxes], out]) => {
            checkAgainstLoop(fn, xs, size, inAxes, out);
            if (!isOpSpec(row)) return;
            // Under grad, the rules' own operations (unslice, untake, …) batch too.
            const loss = (...ys: Tensor[]) => row.fn(...ys).sum();
            const argnums = xs.map((_, i) => i);
            const g = (...ys: Tensor[]) => J.grad(loss, { argnums })(...ys);
            const allAxes = xs.map(() => 0);
            const got = J.vmap(g, { inAxes: allAxes })(...xs.map((x) => batchOf(x, size, 0)));
            got.forEach((gi, i) => {
              const want = J.stack(Array.from({ length: size }, (_, b) => g(...xs.map((x) => example(x, b)))[i]!));
              expectClose(gi, want, 1e-9, 1e-9);
            });
          },
        ),
        { numRuns: RUNS },
      );
    });
  }
});

describe('composites batch through their primitives', () => {
  for (const row of compositeRows) {
    it(row.name, () => {
      fc.assert(
        fc.property(
          row.inputs.chain((xs) => fc.tuple(fc.constant(xs), axesArb(xs.map((x) => x.ndim)))),
          ([xs, [size, inAxes]]) => checkAgainstLoop(row.fn, xs, size, inAxes, 0),
        ),
        { numRuns: Math.max(1, Math.round(RUNS / 3)) },
      );
    });
  }

  const loopOf = (fn: (x: Tensor) => Tensor, xs: Tensor) => J.stack(Array.from({ length: xs.shape[0]! }, (_, b) => fn(xs.index(b))));
  const image = J.randn([3, 2, 5, 6], { dtype: 'float64', rng: J.rng(4) });
  const kernel = J.randn([4, 2, 3, 3], { dtype: 'float64', rng: J.rng(5) });

  it('conv2d, batched in the input or in the weight', () => {
    const conv = (x: Tensor, w: Tensor) => J.conv2d(x.unsqueeze(0), w, { padding: 1, stride: 2 }).tanh();
    expectClose(
      J.vmap(conv, { inAxes: [0, null] })(image, kernel),
      loopOf((x) => conv(x, kernel), image),
      1e-10,
    );
    const kernels = J.randn([3, 4, 2, 3, 3], { dtype: 'float64', rng: J.rng(6) });
    expectClose(
      J.vmap((w: Tensor) => conv(image.index(0), w))(kernels),
      loopOf((w) => conv(image.index(0), w), kernels),
      1e-10,
    );
  });

  it('maxPool2d and avgPool2d, forward and per-example gradients', () => {
    for (const pool of [
      (x: Tensor) => J.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }),
      (x: Tensor) => J.avgPool2d(x, { kernelSize: 2 }),
    ]) {
      expectClose(J.vmap(pool)(image), loopOf(pool, image), 1e-12);
      const g = J.grad((x: Tensor) => pool(x).square().sum());
      expectClose(J.vmap(g)(image), loopOf(g, image), 1e-10);
    }
  });

  it('scaledDotProductAttention (causal), batched in q only or in all of q, k, v', () => {
    const q = J.randn([3, 2, 4, 5], { dtype: 'float64', rng: J.rng(7) });
    const kv = J.randn([2, 4, 5], { dtype: 'float64', rng: J.rng(8) });
    const attend = (a: Tensor, k: Tensor, v: Tensor) => J.scaledDotProductAttention(a, k, v, { isCausal: true });
    expectClose(
      J.vmap(attend, { inAxes: [0, null, null] })(q, kv, kv),
      loopOf((a) => attend(a, kv, kv), q),
      1e-10,
    );
    expectClose(
      J.vmap(attend)(q, q, q),
      loopOf((a) => attend(a, a, a), q),
      1e-10,
    );
  });
});

describe('custom ops under vmap', () => {
  // softplus with hand-written rules, once with a jvp and once with the jvp derived from the vjp.
  const forward = (x: Tensor, s: Tensor) => x.exp().add(1).log().mul(s);
  const vjp = (g: Tensor, [x, s]: readonly Tensor[]) => [g.mul(x!.sigmoid()).mul(s!), g.mul(x!.exp().add(1).log())];
  const withJvp = J.customOp({
    name: 'softplusScaled',
    forward,
    vjp,
    jvp: ([dx, ds], [x, s]) => {
      const a = dx ? dx.mul(x!.sigmoid()).mul(s!) : x!.mul(0);
      return ds ? a.add(ds.mul(x!.exp().add(1).log())) : a;
    },
  });
  const withoutJvp = J.customOp({ forward, vjp });
  const xs = J.randn([4, 3], { dtype: 'float64', rng: J.rng(9) });
  const s = f64([0.5, -1, 2]);

  for (const [label, op] of [
    ['with a jvp', withJvp],
    ['jvp from the vjp', withoutJvp],
  ] as const) {
    it(`${label}: vmap, vmap(grad), vmap(jvp), grad(vmap) equal the loops`, () => {
      const loop = (fn: (x: Tensor) => Tensor) => J.stack([0, 1, 2, 3].map((b) => fn(xs.index(b))));
      const f = (x: Tensor) => op(x, s);
      expectClose(J.vmap(f)(xs), loop(f), 1e-12);
      const g = J.grad((x: Tensor) => f(x).sum());
      expectClose(J.vmap(g)(xs), loop(g), 1e-12);
      const gs = J.grad((x: Tensor, sc: Tensor) => op(x, sc).sum(), { argnums: [1] });
      expectClose(
        J.vmap((x: Tensor) => gs(x, s)[0]!)(xs),
        loop((x) => gs(x, s)[0]!),
        1e-12,
      );
      const t = J.onesLike(xs.index(0));
      const jv = (x: Tensor) => J.jvp(f, [x], [t])[1];
      expectClose(J.vmap(jv)(xs), loop(jv), 1e-10);
      expectClose(J.grad((x: Tensor) => J.vmap(f)(x).square().sum())(xs), loop(J.grad((x: Tensor) => f(x).square().sum())), 1e-10);
      expectClose(J.vmap(J.vmap(f))(xs.reshape([2, 2, 3])), loop(f).reshape([2, 2, 3]), 1e-12);
    });
  }
});

describe('vmap composes with itself and with jvp and grad', () => {
  const w = J.randn([3, 4], { dtype: 'float64', rng: J.rng(1) });
  const f = (x: Tensor) => x.matmul(w).tanh().mul(x.sum());
  const xs = J.randn([5, 3], { dtype: 'float64', rng: J.rng(2) });
  const loop = (fn: (x: Tensor) => Tensor, batch: Tensor) => J.stack(Array.from({ length: batch.shape[0]! }, (_, b) => fn(batch.index(b))));

  it('vmap(grad(loss)) gives the per-example gradients', () => {
    const loss = (x: Tensor) => f(x).square().sum();
    expectClose(J.vmap(J.grad(loss))(xs), loop(J.grad(loss), xs), 1e-12);
  });

  it('grad(vmap(f)): the gradient of a sum over examples is the stack of theirs', () => {
    const loss = (x: Tensor) => f(x).sum();
    expectClose(J.grad((batch: Tensor) => J.vmap(f)(batch).sum())(xs), loop(J.grad(loss), xs), 1e-12);
  });

  it('jvp(vmap(f)) and vmap(jvp(f)) agree with the per-example jvps', () => {
    const ts = J.randn([5, 3], { dtype: 'float64', rng: J.rng(3) });
    const each = J.stack([0, 1, 2, 3, 4].map((b) => J.jvp(f, [xs.index(b)], [ts.index(b)])[1]));
    expectClose(J.jvp(J.vmap(f), [xs], [ts])[1], each, 1e-12);
    expectClose(J.vmap((x: Tensor, t: Tensor) => J.jvp(f, [x], [t])[1])(xs, ts), each, 1e-12);
  });

  it('nested vmaps over different axes commute, and equal the double loop', () => {
    const grid = J.randn([2, 3, 4], { dtype: 'float64', rng: J.rng(4) }); // examples along axes 0 and 2
    const g = (x: Tensor) => x.mul(x.sum()).exp(); // of one row of 3
    const rowsThenColumns = J.vmap(J.vmap(g, { inAxes: 1 }), { inAxes: 0 })(grid); // [2, 4, 3]
    const columnsThenRows = J.vmap(J.vmap(g, { inAxes: 0 }), { inAxes: 2, outAxes: 1 })(grid); // [2, 4, 3]
    expectClose(rowsThenColumns, columnsThenRows, 1e-14);
    const loops = J.stack([0, 1].map((i) => J.stack([0, 1, 2, 3].map((j) => g(grid.index(i).T.index(j))))));
    expectClose(rowsThenColumns, loops, 1e-14);
  });

  it('an inner vmap over a value captured from the outer one keeps the batch axes apart', () => {
    const a = J.randn([3, 2], { dtype: 'float64', rng: J.rng(5) });
    const b = J.randn([4, 2], { dtype: 'float64', rng: J.rng(6) });
    // Pairwise products: out[i, j] = a[i] · b[j].
    const pairs = J.vmap((x: Tensor) => J.vmap((y: Tensor) => x.mul(y).sum())(b))(a);
    expectClose(pairs, a.matmul(b.T), 1e-14);
  });

  it('vmap(grad(grad)) and grad(vmap(grad)) of a scalar function', () => {
    const h = (x: Tensor) => x.sin().mul(x.square()).sum();
    const xs1 = f64([0.3, -1.2, 2]);
    const second = J.grad((x: Tensor) => J.grad(h)(x).sum());
    expectClose(J.vmap(second)(xs1), loop(second, xs1), 1e-12);
    expectClose(J.grad((x: Tensor) => J.vmap(J.grad(h))(x).sum())(xs1), loop(second, xs1), 1e-12);
  });

  it('vmap and jit compose both ways', () => {
    expectClose(J.vmap(J.jit(f))(xs), loop(f, xs), 1e-12);
    const batched = J.jit(J.vmap(f));
    expectClose(batched(xs), loop(f, xs), 1e-12);
    expectClose(batched(xs.mul(2)), loop(f, xs.mul(2)), 1e-12);
  });

  it('under the imperative graph: backward through vmap reaches requiresGrad leaves', () => {
    const wLeaf = J.randn([3, 4], { dtype: 'float64', rng: J.rng(7), requiresGrad: true });
    J.vmap((x: Tensor) => x.matmul(wLeaf).square().sum())(xs)
      .sum()
      .backward();
    const expected = J.grad((m: Tensor) => xs.matmul(m).square().sum())(wLeaf.detach());
    expectClose(wLeaf.grad!, expected, 1e-12);
  });
});

describe('vmap arguments and results', () => {
  const x = J.arange(6).astype('float64').reshape([2, 3]);
  it('negative axes, null (shared) arguments, results that do not vary, several results', () => {
    expectClose(J.vmap((r: Tensor) => r.sum(), { inAxes: -1 })(x), [3, 5, 7]);
    expectClose(J.vmap((r: Tensor, c: Tensor) => r.mul(c), { inAxes: [0, null] })(x, f64([1, 0, 2])), [
      [0, 0, 4],
      [3, 0, 10],
    ]);
    expectClose(J.vmap(() => f64(7), { inAxes: [0] })(x), [7, 7]);
    const [s, d] = J.vmap((r: Tensor) => [r.sum(), r.mul(2)], { outAxes: [0, -1] })(x);
    expectClose(s!, [3, 12]);
    expectClose(d!, [
      [0, 6],
      [2, 8],
      [4, 10],
    ]);
    expect(J.vmap(() => f64(1), { inAxes: 0, outAxes: null })(x).toArray()).toBe(1);
    expectClose(J.vmap((r: Tensor) => r.argsort(0, { descending: true }))(x), [
      [2, 1, 0],
      [2, 1, 0],
    ]);
  });

  it('typed errors', () => {
    const y = J.zeros([3, 3]);
    expect(() => J.vmap((a: Tensor, b: Tensor) => a.add(b))(x, y)).toThrow(ShapeError);
    expect(() => J.vmap((a: Tensor) => a, { inAxes: 2 })(x)).toThrow(AxisError);
    expect(() => J.vmap((a: Tensor) => a, { inAxes: -3 })(x)).toThrow(AxisError);
    expect(() => J.vmap((a: Tensor) => a, { inAxes: null })(x)).toThrow(ArgumentError);
    expect(() => J.vmap((a: Tensor) => a, { inAxes: [0, 0] })(x)).toThrow(ArgumentError);
    expect(() => J.vmap((a: Tensor) => a, { outAxes: 2 })(x)).toThrow(AxisError);
    expect(() => J.vmap((a: Tensor) => a, { outAxes: null })(x)).toThrow(ArgumentError);
    expect(() => J.vmap((a: Tensor) => a, { inAxes: 0.5 })).toThrow(ArgumentError);
    expect(() => J.vmap((a: Tensor) => a, { inAxes: '0' as unknown as number })).toThrow(ArgumentError);
    // A result that is not a pytree of tensors, numbers and null.
    expect(() => J.vmap(() => 'x' as unknown as Tensor)(x)).toThrow(ArgumentError);
    expect(() => J.vmap((a: Tensor) => a, { inAxes: [[0]] })(x)).toThrow(J.TreeStructureError);
    expect(() => J.vmap((a: Tensor) => f64(a.sum().item()))(x)).toThrow(TraceError);
    // Batched positions are an input of takeIndexed, not values read: each example its own.
    expect(J.vmap((a: Tensor) => J.take(a, J.argsort(a, 0, { descending: true }), 0))(x).toArray()).toEqual([
      [2, 1, 0],
      [5, 4, 3],
    ]);
    // So are gather's: each example gathers along its own line.
    expect(J.vmap((a: Tensor) => J.gather(a, 0, J.argsort(a, 0, { descending: true })))(x).toArray()).toEqual([
      [2, 1, 0],
      [5, 4, 3],
    ]);
    // scatter refuses repeated positions, which needs their values: still a TraceError.
    expect(() => J.vmap((a: Tensor) => J.scatter(a, 0, J.argsort(a, 0), 1))(x)).toThrow(TraceError);
    // A batched tensor kept past its vmap (a leaked tracer) is refused, not misread.
    let kept: Tensor | null = null;
    J.vmap((a: Tensor) => {
      kept = a;
      return a;
    })(x);
    expect(() => kept!.add(1)).toThrow(TraceError);
    // detach inside vmap keeps the batch (it drops derivatives only).
    expectClose(J.vmap((a: Tensor) => a.detach().mul(2))(x), x.mul(2));
  });
});

describe('jacfwd and jacrev', () => {
  const w = J.randn([3, 4], { dtype: 'float64', rng: J.rng(10) });
  const f = (x: Tensor) => x.matmul(w).sin().mul(x.sum());
  const x0 = f64([0.2, -0.7, 1.1]);
  /** The Jacobian built column by column with one jvp per basis vector (the old loop). */
  const loopJacobian = (fn: (x: Tensor) => Tensor, x: Tensor) => {
    const n = x.size;
    const eye = J.eye(n, n, { dtype: 'float64' });
    return J.stack(
      Array.from({ length: n }, (_, j) => J.jvp(fn, [x], [eye.index(j).reshape(x.shape)])[1]),
      -1,
    );
  };
  /** Central differences, column j from a step along input element j. */
  const finiteDifferences = (fn: (x: Tensor) => Tensor, x: Tensor, h = 1e-6) =>
    J.stack(
      Array.from({ length: x.size }, (_, j) => {
        const e = J.eye(x.size, x.size, { dtype: 'float64' }).index(j).reshape(x.shape).mul(h);
        return fn(x.add(e))
          .sub(fn(x.sub(e)))
          .div(2 * h);
      }),
      -1,
    );

  it('jacfwd, jacrev, jacobian (both modes), the loop and finite differences agree', () => {
    const loopJ = loopJacobian(f, x0);
    expectClose(J.jacfwd(f)(x0), loopJ, 1e-12);
    expectClose(J.jacrev(f)(x0), loopJ, 1e-12);
    expectClose(J.jacobian(f)(x0), loopJ, 1e-12);
    expectClose(J.jacobian(f, { mode: 'forward' })(x0), loopJ, 1e-12);
    expectClose(finiteDifferences(f, x0), loopJ, 1e-7, 1e-8);
  });

  it('shapes: [...out, ...in] for matrix inputs and scalar outputs; empty inputs', () => {
    const m = J.randn([2, 3], { dtype: 'float64', rng: J.rng(11) });
    const g = (a: Tensor) => a.square().sum(1);
    expect(J.jacfwd(g)(m).shape).toEqual([2, 2, 3]);
    expectClose(J.jacrev(g)(m), J.jacfwd(g)(m), 1e-14);
    expectClose(J.jacrev((a: Tensor) => a.square().sum())(m), m.mul(2), 1e-14);
    expect(J.jacfwd((a: Tensor) => a.sum(0))(J.zeros([0, 2], { dtype: 'float64' })).shape).toEqual([2, 0, 2]);
  });

  it('hessian = jacfwd(grad) is symmetric and matches jacrev(jacrev) and jacfwd(jacfwd)', () => {
    const s = (x: Tensor) => f(x).square().sum();
    const H = J.hessian(s)(x0);
    expectClose(H, H.T, 1e-12);
    expectClose(J.jacrev(J.jacrev(s))(x0), H, 1e-10);
    expectClose(J.jacfwd(J.jacfwd(s))(x0), H, 1e-10);
  });

  it('vmap(jacrev) gives per-example Jacobians', () => {
    const xs = J.randn([4, 3], { dtype: 'float64', rng: J.rng(12) });
    expectClose(J.vmap(J.jacrev(f))(xs), J.stack([0, 1, 2, 3].map((b) => J.jacrev(f)(xs.index(b)))), 1e-12);
  });
});

describe('pytrees', () => {
  const w = J.randn([3, 2], { dtype: 'float64', rng: J.rng(20) });
  const b = J.randn([4, 2], { dtype: 'float64', rng: J.rng(21) }); // a bias per example
  const xs = J.randn([4, 3], { dtype: 'float64', rng: J.rng(22) });
  const layer = (p: { w: Tensor; b: Tensor }, x: Tensor) => x.matmul(p.w).add(p.b).tanh();
  const loop = J.stack([0, 1, 2, 3].map((i) => layer({ w, b: b.index(i) }, xs.index(i))));

  it('inAxes as a prefix tree of the arguments; results as trees with outAxes trees', () => {
    expectClose(J.vmap(layer, { inAxes: [{ w: null, b: 0 }, 0] })({ w, b }, xs), loop, 1e-14);
    // A number and null among the arguments pass through untouched.
    const scaled = J.vmap((p: { w: Tensor; b: Tensor; s: number; none: null }, x: Tensor) => layer(p, x).mul(p.s), {
      inAxes: [{ w: null, b: 0, s: null, none: null }, 0],
    })({ w, b, s: 2, none: null }, xs);
    expectClose(scaled, loop.mul(2), 1e-14);
    const out = J.vmap((x: Tensor) => ({ sum: x.sum(), pair: [x.mul(2), 7] as [Tensor, number] }), {
      outAxes: { sum: 0, pair: [-1, null] },
    })(xs);
    expectClose(out.sum, xs.sum(1), 1e-14);
    expectClose(out.pair[0], xs.mul(2).T, 1e-14);
    expect(out.pair[1]).toBe(7);
    expect(() => J.vmap(layer, { inAxes: [{ w: null }, 0] })({ w, b }, xs)).toThrow(J.TreeStructureError);
  });

  it('jacfwd and jacrev of a function of a tree, returning a tree: blocks per leaf pair', () => {
    const x = { a: f64([0.3, -0.4]), b: f64([[1.2, 0.5, -0.7]]) };
    const f = (t: { a: Tensor; b: Tensor }) => [t.a.sin().mul(t.b.sum()), { z: t.b.mul(t.a.sum()).exp() }] as const;
    type Out = [{ a: Tensor; b: Tensor }, { z: { a: Tensor; b: Tensor } }];
    const forward = J.jacfwd(f)(x) as unknown as Out;
    const reverse = J.jacrev(f)(x) as unknown as Out;
    // Each block against the single-tensor Jacobian of that output leaf in that input leaf.
    const y0 = (a: Tensor, bb: Tensor) => f({ a, b: bb })[0];
    const y1 = (a: Tensor, bb: Tensor) => f({ a, b: bb })[1].z;
    const blocks: [Tensor, Tensor][] = [
      [forward[0].a, J.jacfwd((a: Tensor) => y0(a, x.b))(x.a)],
      [forward[0].b, J.jacfwd((bb: Tensor) => y0(x.a, bb))(x.b)],
      [forward[1].z.a, J.jacfwd((a: Tensor) => y1(a, x.b))(x.a)],
      [forward[1].z.b, J.jacfwd((bb: Tensor) => y1(x.a, bb))(x.b)],
    ];
    for (const [got, want] of blocks) expectClose(got, want, 1e-12);
    expect(forward[1].z.b.shape).toEqual([1, 3, 1, 3]);
    expectClose(reverse[0].a, forward[0].a, 1e-12);
    expectClose(reverse[0].b, forward[0].b, 1e-12);
    expectClose(reverse[1].z.a, forward[1].z.a, 1e-12);
    expectClose(reverse[1].z.b, forward[1].z.b, 1e-12);
    // jacobian takes trees too; a non-float leaf gets null.
    const withCount = J.jacobian((t: { a: Tensor; n: Tensor }) => t.a.mul(2))({
      a: f64([1, 2]),
      n: J.tensor([1], { dtype: 'int32' }),
    }) as unknown as {
      a: Tensor;
      n: null;
    };
    expectClose(withCount.a, [
      [2, 0],
      [0, 2],
    ]);
    expect(withCount.n).toBeNull();
  });
});
