// tidy(f): every tensor f made and did not return or keep is disposed when f returns, and the
// arrays only such tensors held serve later allocations. Everything that outlives the scope
// (results, views of them, leaves changed by assign, .grad, values made before the scope and
// computed inside it, jit's constants, optimiser state kept with keep) must keep its values when
// those arrays are handed out again: the tests fill every recycled array with NaN and compare.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { fillRecycled, recycledArrayBytes, setRecyclingFloor } from '../src/dtype.js';
import { DEFER_MIN_ELEMENTS, isPending } from '../src/core/deferred.js';
import { floatPositions, operationRows } from './op-rows.js';
import { RUNS } from './support.js';

afterEach(() => setRecyclingFloor());

const bits = (t: Tensor): number[] => Array.from(t.data());
const made = (seed: number, shape: number[], dtype: 'float32' | 'float64' = 'float64'): Tensor =>
  J.randn(shape, { rng: J.rng(seed), dtype })
    .mul(1)
    .realize();

describe('tidy', () => {
  it('disposes what f made and did not return, returns what it returned, and recycles the arrays', () => {
    setRecyclingFloor();
    const x = made(1, [4, 5]);
    let inner: Tensor | null = null;
    const before = recycledArrayBytes();
    const out = J.tidy(() => {
      inner = x.mul(2).add(1);
      const y = inner.exp();
      return { y, pair: [y.sum(), 3], label: 'kept as it is' };
    });
    expect(inner!.isDisposed).toBe(true);
    expect(() => inner!.add(1)).toThrow(/^add: the first operand \(shape \[4,5\], float64\) was disposed$/);
    expect(x.isDisposed).toBe(false);
    expect(out.label).toBe('kept as it is');
    expect(out.pair[1]).toBe(3);
    expect(recycledArrayBytes()).toBeGreaterThan(before);
    fillRecycled();
    expect(bits(out.y)).toEqual(bits(x.mul(2).add(1).exp()));
    expect((out.pair[0] as Tensor).item()).toBeCloseTo(x.mul(2).add(1).exp().sum().item(), 12);
    expect(bits(x)).toEqual(bits(made(1, [4, 5])));
  });

  it('hands an array out once when a tensor disposed inside the scope held it', () => {
    setRecyclingFloor(1);
    const x = made(13, [3, 4]);
    const want = [bits(x.sum(1)), bits(x.max(1)), bits(x.mean(1))];
    const out = J.tidy(() => {
      // The only results of three elements: a dispose() inside the scope, of a tensor made or
      // kept there, must not hand its array out before the end does.
      x.sum(1).dispose();
      J.keep(x.min(1)).dispose();
      return x.mul(5);
    });
    fillRecycled();
    // Two results of that kind after the scope must not be given one array.
    const [p, q, r] = [x.sum(1), x.max(1), x.mean(1)];
    expect([bits(p), bits(q), bits(r)]).toEqual(want);
    expect(bits(out)).toEqual(bits(made(13, [3, 4]).mul(5)));
  });

  it('makes room for the arrays it frees by dropping those of the kind least recently used', () => {
    // 64 MiB of one kind, left by an earlier loop: the whole budget.
    const stale = Array.from({ length: 17 }, () =>
      J.zeros([1 << 20], { dtype: 'float32' })
        .add(1)
        .realize(),
    );
    for (const t of stale) t.dispose();
    expect(recycledArrayBytes()).toBe(64 << 20);
    const x = made(14, [64, 1024]);
    let freed: unknown = null;
    J.tidy(() => {
      freed = x.mul(2).realize()._view.data;
    });
    // The next result of that kind takes the array the scope freed.
    expect(x.mul(3).realize()._view.data).toBe(freed);
    expect(recycledArrayBytes()).toBeLessThanOrEqual(64 << 20);
  });

  it('finds the results without calling getters, and closes the scope', () => {
    const x = made(15, [2, 2]);
    let calls = 0;
    const out = J.tidy(() => {
      const kept = x.mul(2);
      return {
        kept,
        get hidden(): Tensor {
          calls++;
          throw new Error('a getter ran');
        },
      };
    });
    expect(calls).toBe(0);
    expect(bits(out.kept)).toEqual(bits(x.mul(2)));
    // No scope is left open: a tensor made now is never disposed by one.
    const later = x.add(1);
    J.tidy(() => x.mul(3));
    expect(later.isDisposed).toBe(false);
  });

  it('returns numbers and other values as they are', () => {
    expect(J.tidy(() => J.tensor([1, 2, 3]).sum().item())).toBe(6);
    expect(J.tidy(() => undefined)).toBeUndefined();
  });

  it('keeps results that are views of an array the scope made (a slice, a reshape, a transpose)', () => {
    const x = made(2, [6, 8]);
    const cases: [string, (y: Tensor) => Tensor][] = [
      ['slice', (y) => y.slice(1, 2, 5)],
      ['reshape', (y) => y.reshape([48])],
      ['transpose', (y) => y.T],
    ];
    for (const [name, view] of cases) {
      const want = bits(view(x.mul(3)));
      const got = J.tidy(() => {
        const y = x.mul(3);
        y.add(1).mul(2);
        return view(y);
      });
      fillRecycled();
      // Allocations after the scope take the recycled arrays and write them.
      J.tidy(() => x.mul(5).add(x));
      expect(bits(got), name).toEqual(want);
    }
  });

  it('leaves tensors made before it their values: assigned leaves, .grad, and pending values computed inside', () => {
    const n = 2 * DEFER_MIN_ELEMENTS;
    const w = J.randn([n], { rng: J.rng(3), dtype: 'float32' });
    const wantW = bits(w.mul(0.5).add(w.mul(w)));
    const leaf = J.randn([n], { rng: J.rng(3), dtype: 'float32' }).detach();
    leaf.requiresGrad = true;
    // A large elementwise chain is pending until read: here it is read inside the scope.
    const pending = w.mul(2).add(1).tanh();
    expect(isPending(pending)).toBe(true);
    const wantPending = bits(w.mul(2).add(1).tanh());
    J.tidy(() => {
      J.noGrad(() => leaf.assign(leaf.mul(0.5).add(leaf.mul(leaf))));
      leaf.mul(leaf).sum().backward();
      pending.realize().add(1).sum().item();
    });
    fillRecycled();
    J.tidy(() => w.mul(7).add(w).realize().sum().item());
    expect(bits(leaf)).toEqual(wantW);
    expect(bits(leaf.grad!)).toEqual(bits(leaf.mul(2)));
    expect(bits(pending)).toEqual(wantPending);
  });

  it('computes a pending result before freeing its operands', () => {
    const n = 2 * DEFER_MIN_ELEMENTS;
    const a = J.randn([n], { rng: J.rng(4), dtype: 'float32' });
    const want = bits(a.mul(3).add(a.exp()).sigmoid());
    const out = J.tidy(() => {
      const t = a.mul(3).realize();
      return t.add(a.exp()).sigmoid();
    });
    fillRecycled();
    expect(bits(out)).toEqual(want);
  });

  it('keep exempts a tensor from every open scope; outside a scope it does nothing', () => {
    const x = made(5, [3, 3]);
    let kept: Tensor | null = null;
    let dropped: Tensor | null = null;
    J.tidy(() => {
      J.tidy(() => {
        kept = J.keep(x.mul(4));
        dropped = x.mul(5);
      });
      expect(dropped!.isDisposed).toBe(true);
      expect(kept!.isDisposed).toBe(false);
    });
    fillRecycled();
    expect(bits(kept!)).toEqual(bits(x.mul(4)));
    const outside = J.keep(x.add(1));
    expect(bits(outside)).toEqual(bits(x.add(1)));
    expect(() => J.keep(3 as unknown as Tensor)).toThrow(/^keep: expected a Tensor, got 3$/);
  });

  it('nests: an inner scope returns to the outer one, which ends it unless it returns it too', () => {
    const x = made(6, [2, 7]);
    let fromInner: Tensor | null = null;
    const outer = J.tidy(() => {
      fromInner = J.tidy(() => x.mul(2).add(1));
      expect(fromInner.isDisposed).toBe(false);
      const back = J.tidy(() => x.mul(3));
      return back.add(fromInner);
    });
    expect(fromInner!.isDisposed).toBe(true);
    fillRecycled();
    expect(bits(outer)).toEqual(bits(x.mul(3).add(x.mul(2).add(1))));
  });

  it('ends no lives inside a transform, or where a result still records a graph', () => {
    const x = made(7, [5]);
    const f = (v: Tensor) => J.tidy(() => v.mul(v).sin().sum());
    const g = J.grad(f)(x);
    fillRecycled();
    expect(bits(g)).toEqual(bits(J.grad((v: Tensor) => v.mul(v).sin().sum())(x)));
    const leaf = made(8, [5]).detach();
    leaf.requiresGrad = true;
    let middle: Tensor | null = null;
    const loss = J.tidy(() => {
      middle = leaf.mul(leaf);
      return middle.sin().sum();
    });
    expect(middle!.isDisposed).toBe(false);
    loss.backward();
    expect(bits(leaf.grad!)).toEqual(bits(leaf.mul(leaf).cos().mul(leaf.mul(2))));
  });

  it('leaves a jit program the constants it made while tracing inside a scope', () => {
    const x = made(9, [4, 4]);
    const step = J.jit((v: Tensor) =>
      v.matmul(J.full([4, 4], 0.25, { dtype: 'float64' }).mul(2)).add(J.full([4], 0.5, { dtype: 'float64' })),
    );
    const want = bits(x.matmul(J.full([4, 4], 0.25, { dtype: 'float64' }).mul(2)).add(0.5));
    for (let i = 0; i < 3; i++) {
      const out = J.tidy(() => step(x.mul(1)));
      fillRecycled();
      J.tidy(() => x.mul(9).add(1).matmul(x));
      expect(bits(out), `call ${i}`).toEqual(want);
    }
  });

  it('leaves everything to the collector when f throws; refuses a non-function and a promise', () => {
    const x = made(10, [3]);
    let made1: Tensor | null = null;
    expect(() =>
      J.tidy(() => {
        made1 = x.mul(2);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(made1!.isDisposed).toBe(false);
    expect(bits(made1!)).toEqual(bits(x.mul(2)));
    expect(() => J.tidy(3 as unknown as () => void)).toThrow(J.ArgumentError);
    expect(() => J.tidy(async () => x.mul(2))).toThrow(/^tidy: f returned a promise/);
  });

  it('trains the iris network to the same bits with and without tidy, on recycled arrays', () => {
    const r = J.rng(11);
    const x = J.randn([30, 4], { rng: r, dtype: 'float32' });
    const t = J.randn([30, 3], { rng: r, dtype: 'float32' }).sigmoid();
    const init = [
      [4, 16],
      [16, 16],
      [16, 3],
    ].map(([i, o]) => J.randn([i!, o!], { rng: r, dtype: 'float32' }).mul(0.5));
    const loss = (w1: Tensor, w2: Tensor, w3: Tensor) =>
      x.matmul(w1).sigmoid().matmul(w2).sigmoid().matmul(w3).sigmoid().sub(t).square().sum().mul(0.5);
    const vg = J.valueAndGrad(loss, { argnums: [0, 1, 2] });
    const train = (scoped: boolean): number[][] => {
      const ps = init.map((w) => J.tensor(w.data(), { shape: w.shape }));
      const losses: number[] = [];
      const step = () => {
        const [value, grads] = vg(...(ps as [Tensor, Tensor, Tensor]));
        J.noGrad(() => ps.forEach((p, i) => p.assign(p.sub(grads[i]!.mul(0.1)))));
        return value.item();
      };
      for (let s = 0; s < 25; s++) {
        losses.push(scoped ? J.tidy(step) : step());
        if (scoped) fillRecycled();
      }
      return [losses, ...ps.map(bits)];
    };
    expect(train(true)).toEqual(train(false));
  });

  it('keeps recycled memory bounded over many scoped steps', () => {
    const x = made(12, [50, 20]);
    for (let s = 0; s < 300; s++) J.tidy(() => x.mul(s).add(1).exp().matmul(x.T).sum().item());
    const after300 = recycledArrayBytes();
    for (let s = 0; s < 300; s++) J.tidy(() => x.mul(s).add(1).exp().matmul(x.T).sum().item());
    expect(recycledArrayBytes()).toBe(after300);
  });
});

const specs = operationRows;

describe('every op row keeps its value and gradient when computed in tidy and its arrays reused', () => {
  for (const spec of specs) {
    it(spec.name, () => {
      fc.assert(
        fc.property(spec.inputs, (xs) => {
          const floats = floatPositions(xs);
          const gradOf = () =>
            floats.length === 0 ? [] : [J.grad((...a: Tensor[]) => spec.fn(...a).sum(), { argnums: floats })(...xs)].flat();
          const want = bits(spec.fn(...xs));
          const wantGrads = gradOf().map(bits);
          const out = J.tidy(() => spec.fn(...xs.map((x, i) => (floats.includes(i) ? x.mul(1) : x))));
          const grads = J.tidy(gradOf);
          fillRecycled();
          expect(bits(out), spec.name).toEqual(want);
          expect(grads.map(bits), `gradient of ${spec.name}`).toEqual(wantGrads);
        }),
        { numRuns: Math.min(RUNS, 10) },
      );
    });
  }
});
