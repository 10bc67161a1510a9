// jit's buffer plan (staging/buffers.ts): intermediates of a fast replay live in buffers reused
// by every later call, so what a call returned must never change afterwards; values that views
// or user code can still reach are never reused; a replay whose steps store results differently
// from the observed one stops following the plan; a throw in the middle leaves the next call right.
import { afterEach, describe, expect, it } from 'vitest';
import * as J from '@jacobi/tensor';
import type { Tensor } from '@jacobi/tensor';
import { plannedReplays } from '../src/staging/buffers.js';
import { loweredReplays } from '../src/core/lowered.js';
import { definePrimitive } from '../src/core/primitive.js';
import { bind } from '../src/core/trace.js';
import { Tensor as TensorClass, contiguousData, fromArray } from '../src/core/tensor.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';

const initial = J.getBackend();
afterEach(() => J.setBackend(initial));

const backends: [string, () => void][] = [
  ['js', () => J.setBackend('js')],
  ['wasm', () => J.setBackend(createWasmBackend({ smallToFallback: false }))],
];

const values = (t: Tensor): number[] => Array.from(t.data());
const rand = (seed: number, shape: number[]): Tensor => J.randn(shape, { rng: J.rng(seed) });

describe.each(backends)('jit buffer plan (%s backend)', (_name, use) => {
  it('reuses intermediates across calls while every result a call returned stays as it was', () => {
    use();
    const w = rand(1, [8, 5]);
    const f = (x: Tensor): Tensor[] => {
      const h = x.matmul(w).tanh();
      const y = h.mul(h).add(1).log();
      return [y.sum(1), h.matmul(w.transpose()).exp()];
    };
    const jf = J.jit(f);
    const before = plannedReplays() + loweredReplays();
    const results = [0, 1, 2, 3].map((seed) => jf(rand(10 + seed, [6, 8])));
    // The first call traces, the second observes; the later ones follow the plan (or, on the
    // WASM backend, run lowered: core/lowered.ts).
    expect(plannedReplays() + loweredReplays() - before).toBe(2);
    results.forEach((got, seed) => {
      const want = f(rand(10 + seed, [6, 8]));
      got.forEach((t, k) => expect(values(t), `call ${seed}, output ${k}`).toEqual(values(want[k]!)));
    });
  });

  it('never writes a step into a buffer the same step reads (a product over its own operand)', () => {
    use();
    const f = (x: Tensor): Tensor => {
      const h = x.exp();
      return h.matmul(h).sigmoid().matmul(x).sum();
    };
    const jf = J.jit(f);
    for (let seed = 0; seed < 4; seed++) {
      const x = rand(60 + seed, [5, 5]).mul(0.3);
      expect(jf(x).item(), `call ${seed}`).toBe(f(x).item());
    }
  });

  it('never reuses a buffer an output views (reshape, transpose and broadcast of intermediates)', () => {
    use();
    const f = (x: Tensor): Tensor[] => {
      const h = x.mul(3).exp();
      const g = x.sub(1).sigmoid();
      return [h.reshape([-1]), g.transpose(), g.mul(2).sum(0).broadcastTo([4, 3])];
    };
    const jf = J.jit(f);
    const results = [0, 1, 2, 3].map((seed) => jf(rand(20 + seed, [3, 3])));
    results.forEach((got, seed) => {
      const want = f(rand(20 + seed, [3, 3]));
      got.forEach((t, k) => expect(values(t), `call ${seed}, output ${k}`).toEqual(values(want[k]!)));
    });
  });

  it('never reuses a buffer a customOp was given (it may keep it)', () => {
    use();
    const kept: Tensor[] = [];
    const keep = J.customOp({
      name: 'keep',
      forward: (x: Tensor) => {
        kept.push(x);
        return x.mul(2);
      },
      vjp: (g: Tensor) => [g.mul(2)],
    });
    const jf = J.jit((x: Tensor) => keep(x.exp().add(1)).sum());
    const inputs = [0, 1, 2, 3].map((seed) => rand(30 + seed, [4, 4]));
    for (const x of inputs) jf(x);
    // Each kept tensor still holds exp(x) + 1 of its own call (the trace's is a traced value).
    const concrete = kept.filter((t) => J.isConcrete(t));
    expect(concrete.length).toBeGreaterThanOrEqual(3);
    const firstReplayed = inputs.length - concrete.length;
    concrete.forEach((t, k) => expect(values(t)).toEqual(values(inputs[firstReplayed + k]!.exp().add(1))));
  });

  it('stops following the plan where a step stores its result differently from the observed replay', () => {
    use();
    // A primitive that returns its input itself or a copy of it, as a flag says: a change of storage
    // no shape reveals (library primitives decide this from layouts, which jit's signature omits).
    let asView = false;
    const same = definePrimitive<undefined>({
      name: 'sameOrCopy',
      shape: ([x]) => ({ shape: x!.shape, dtype: x!.dtype }),
      impl: ([x], _p, { shape, dtype }, target) => {
        if (asView) return new TensorClass(x!._view);
        const out = target.array(dtype, x!.size);
        out.set(contiguousData(x!));
        return fromArray(out, shape, dtype);
      },
      vjp: [(g) => g],
      jvp: [(dx) => dx],
      batch: ([x], [axis]) => [x!, axis ?? null],
    });
    // Observed as a copy, v has a buffer of its own and h's is free once v is made, so u (and
    // then w) may be written there; returned as h itself later, v would be overwritten by u
    // unless the replay stops following the plan.
    const f = (x: Tensor): Tensor[] => {
      const h = x.exp().matmul(x.transpose());
      const v = bind(same, [h], undefined);
      const u = v.tanh();
      const w = u.matmul(x);
      return [w.add(1), v.sub(2)];
    };
    const jf = J.jit(f);
    const calls = [false, false, false, true, true, false, true, false];
    const results = calls.map((view, seed) => {
      asView = view;
      return jf(rand(40 + seed, [3, 3]));
    });
    asView = false;
    results.forEach((got, seed) => {
      const want = f(rand(40 + seed, [3, 3]));
      got.forEach((t, k) => expect(values(t), `call ${seed}, output ${k}`).toEqual(values(want[k]!)));
    });
  });

  it('gives the right result after a replay that threw in the middle', () => {
    use();
    const f = (x: Tensor, i: Tensor): Tensor => J.gather(x.exp().mul(2), 1, i).tanh().sum();
    const jf = J.jit(f);
    const x = rand(50, [2, 4]);
    const good = J.tensor(
      [
        [0, 3],
        [1, 2],
      ],
      { dtype: 'int32' },
    );
    const bad = J.tensor(
      [
        [0, 7],
        [1, 2],
      ],
      { dtype: 'int32' },
    );
    for (let k = 0; k < 3; k++) jf(x, good);
    // The bad call's replay throws midway (on the WASM backend its lowered call meets the index
    // out of range and leaves it to the planned replay, which throws); the next call follows the
    // plan again (or, on the WASM backend, runs lowered).
    expect(() => jf(x, bad)).toThrow(/gather/);
    const before = plannedReplays() + loweredReplays();
    expect(jf(x, good).item()).toBe(f(x, good).item());
    expect(plannedReplays() + loweredReplays()).toBe(before + 1);
    // The ordinary replay after the throw on the WASM backend too: an x of other strides is never
    // lowered (its replay follows the plan until a step's result lands elsewhere).
    const strided = rand(51, [4, 2]).transpose();
    const lowered = loweredReplays();
    expect(jf(strided, good).item()).toBe(f(strided, good).item());
    expect(loweredReplays()).toBe(lowered);
  });
});
