// jit's lowered replay (core/lowered.ts): on the WASM backend a program's kernel calls,
// recorded once, run again on memory the program keeps in linear memory. Every lowered call
// must equal f bit for bit, for new inputs and for captured tensors assigned between calls;
// results it returned never change afterwards; what cannot be lowered (arrays a primitive fills
// in JavaScript, inputs of another layout, the JS backend) keeps the ordinary replay.
import { afterEach, describe, expect, it } from 'vitest';
import * as J from '@jacobi/tensor';
import type { Tensor } from '@jacobi/tensor';
import { loweredReplays } from '../src/core/lowered.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { activeBackend } from '../src/backend/registry.js';
import { definePrimitive } from '../src/core/primitive.js';
import { bind } from '../src/core/trace.js';
import { fromArray } from '../src/core/tensor.js';
import { allocate } from '../src/dtype.js';

const initial = J.getBackend();
afterEach(() => J.setBackend(initial));

const bits = (t: Tensor): number[] => Array.from(t.data());
const rand = (seed: number, shape: number[], dtype: 'float32' | 'float64' = 'float32'): Tensor =>
  J.randn(shape, { rng: J.rng(seed), dtype });

/** Calls jf and f on `args(call)` for calls 0..n-1 and requires the same bits; returns the lowered replays counted meanwhile. */
function compare(f: (...a: Tensor[]) => Tensor[], n: number, args: (call: number) => Tensor[]): number {
  const jf = J.jit(f);
  const before = loweredReplays();
  for (let call = 0; call < n; call++) {
    const got = jf(...args(call));
    const want = f(...args(call));
    got.forEach((t, k) => {
      expect(t.shape, `call ${call}, output ${k}`).toEqual(want[k]!.shape);
      expect(bits(t), `call ${call}, output ${k}`).toEqual(bits(want[k]!));
    });
  }
  return loweredReplays() - before;
}

const wasmBackends: [string, () => void][] = [
  ['default sizes', () => J.setBackend(createWasmBackend())],
  ['every size in WASM', () => J.setBackend(createWasmBackend({ smallToFallback: false }))],
];

describe.each(wasmBackends)('lowered jit replay (%s)', (_name, use) => {
  it('runs a training step lowered from the third call on, with the bits of f', () => {
    use();
    const x = rand(1, [150, 4]);
    const t = rand(2, [150, 3]).sigmoid();
    const loss = (w1: Tensor, w2: Tensor, w3: Tensor): Tensor =>
      x.matmul(w1).sigmoid().matmul(w2).sigmoid().matmul(w3).sigmoid().sub(t).square().sum().mul(0.5);
    const vg = J.valueAndGrad(loss, { argnums: [0, 1, 2] });
    const step = (w1: Tensor, w2: Tensor, w3: Tensor): Tensor[] => {
      const [value, grads] = vg(w1, w2, w3);
      return [value, ...[w1, w2, w3].map((w, i) => w.sub(grads[i]!.mul(0.01)))];
    };
    const lowered = compare(step, 6, (call) => [rand(10 + call, [4, 16]), rand(20 + call, [16, 16]), rand(30 + call, [16, 3])]);
    // The first call traces, the second records; the four after it run lowered.
    expect(lowered).toBe(4);
  });

  it('handles tails, scalars, broadcasts, reductions, batched products and float64', () => {
    use();
    const b = rand(3, [7]);
    const f = (x: Tensor, y: Tensor): Tensor[] => {
      const h = x.mul(y).add(b).tanh();
      return [h.sum(1), h.exp().mul(2).sub(y), h.transpose().matmul(x).sum(), x.neg().abs().sqrt()];
    };
    expect(compare(f, 5, (c) => [rand(40 + c, [5, 7]), rand(50 + c, [5, 7])])).toBe(3);
    // Products prepared once: batched, a shared operand broadcast over the batch, transposed, narrow.
    const v = rand(4, [6, 3]);
    const products = (a: Tensor, w: Tensor): Tensor[] => {
      const h = a.matmul(w).tanh();
      const shared = a.matmul(w.broadcastTo([3, 4, 6]));
      return [h, h.matmul(w.transpose()).sum(), a.transpose([0, 2, 1]).matmul(h).exp(), h.sum(0).matmul(v), shared];
    };
    expect(compare(products, 5, (c) => [rand(45 + c, [3, 5, 4]), rand(55 + c, [4, 6])])).toBe(3);
    const f64 = (x: Tensor): Tensor[] => [x.mul(x).add(1).log().sum(0), x.matmul(x.transpose()).sigmoid()];
    expect(compare(f64, 4, (c) => [rand(60 + c, [9, 9], 'float64')])).toBe(2);
  });

  it('returns arrays later calls never change, large outputs included', () => {
    use();
    const jf = J.jit((x: Tensor): Tensor[] => [x.mul(2).exp(), x.sum(), x.tanh().mul(x)]);
    const inputs = [0, 1, 2, 3, 4].map((c) => rand(70 + c, [200, 100]));
    const results = inputs.map((x) => jf(x));
    results.forEach((got, c) => {
      const x = inputs[c]!;
      const want = [x.mul(2).exp(), x.sum(), x.tanh().mul(x)];
      got.forEach((t, k) => expect(bits(t), `call ${c}, output ${k}`).toEqual(bits(want[k]!)));
    });
  });

  it('reads captured tensors afresh: an assigned parameter changes the next lowered call', () => {
    use();
    const w = rand(5, [6, 4]);
    const f = (x: Tensor): Tensor[] => [x.matmul(w).sigmoid().sum(0)];
    const jf = J.jit(f);
    for (let c = 0; c < 6; c++) {
      const x = rand(80 + c, [3, 6]);
      expect(bits(jf(x)[0]!), `call ${c}`).toEqual(bits(f(x)[0]!));
      J.noGrad(() => w.assign(w.mul(0.5).add(0.1)));
    }
  });

  it('falls back for inputs of another layout, and for arrays a primitive fills in JavaScript', () => {
    use();
    const f = (x: Tensor): Tensor[] => [x.exp().mul(x).sum(1)];
    const jf = J.jit(f);
    const square = (c: number): Tensor => rand(90 + c, [8, 8]);
    for (let c = 0; c < 3; c++) jf(square(c));
    const before = loweredReplays();
    // The same shape as a transposed view: its strides differ from the recorded ones.
    const transposed = square(5).transpose();
    expect(bits(jf(transposed)[0]!)).toEqual(bits(f(transposed)[0]!));
    expect(loweredReplays() - before).toBe(0);
    expect(bits(jf(square(6))[0]!)).toEqual(bits(f(square(6))[0]!));
    expect(loweredReplays() - before).toBe(1);

    // A primitive whose result is filled in JavaScript: no recorded kernel wrote what the sum reads.
    const doubledInJs = definePrimitive<undefined>({
      name: 'doubledInJs',
      shape: ([x]) => ({ shape: x!.shape, dtype: x!.dtype }),
      impl: ([x], _params, { shape, dtype }, target) => {
        const out = target.array(dtype, x!.size);
        const data = x!.data();
        for (let i = 0; i < out.length; i++) out[i] = 2 * data[i]!;
        return fromArray(out, shape, dtype);
      },
      vjp: [null],
      jvp: [null],
      batch: () => {
        throw new Error('not batched in this test');
      },
    });
    const g = (x: Tensor): Tensor[] => [bind(doubledInJs, [x.exp()], undefined).sum()];
    expect(compare(g, 5, (c) => [rand(100 + c, [3, 4])])).toBe(0);
  });

  it('lowers take, gather and scatterAdd at traced and at constant positions, and casts to bool', () => {
    use();
    const idx = (c: number): Tensor => J.tensor([c % 3, 2, 1, -1], { dtype: 'int32' });
    const taken = (x: Tensor, i: Tensor): Tensor[] => [x.exp().take(i, 0).sum(0), x.take(i, 1)];
    expect(compare(taken, 5, (c) => [rand(110 + c, [3, 4]), idx(c)])).toBe(3);
    // An embedding's lookup and its gradient (untakeIndexed, a scatter-add) in one program.
    const embed = (table: Tensor, i: Tensor): Tensor[] => {
      const [value, grad] = J.valueAndGrad((w: Tensor) => w.take(i, 0).tanh().square().sum())(table);
      return [value, grad];
    };
    const tokens = (c: number): Tensor =>
      J.tensor(
        [
          [c % 5, 1],
          [4, c % 2],
        ],
        { dtype: 'int32' },
      );
    expect(compare(embed, 5, (c) => [rand(120 + c, [5, 3]), tokens(c)])).toBe(3);
    const scattered = (x: Tensor, i: Tensor): Tensor[] => [J.scatterAdd(J.zeros([3, 4]), 1, i, x)];
    const positions = (c: number): Tensor => J.tensor([[c % 4], [3], [0]], { dtype: 'int32' });
    expect(compare(scattered, 5, (c) => [rand(125 + c, [3, 1]), positions(c)])).toBe(3);
    // Constant positions are take's parameters: a lowered call passes the same array each time.
    const fixedTake = (x: Tensor): Tensor[] => {
      const [value, grad] = J.valueAndGrad((w: Tensor) => w.take([2, 0, 2], 0).exp().sum())(x);
      return [value, grad, x.take([[1, 3]], 1)];
    };
    expect(compare(fixedTake, 5, (c) => [rand(128 + c, [3, 4])])).toBe(3);
    const masks = (x: Tensor): Tensor[] => [x.astype('bool'), x.astype('bool').astype('int32').sum()];
    const sparse = (c: number): Tensor => J.where(rand(130 + c, [6, 5]).greater(0), rand(135 + c, [6, 5]), 0);
    expect(compare(masks, 5, (c) => [sparse(c)])).toBe(3);
  });

  it('reports an index out of range in a lowered call as the unlowered one does, then runs lowered again', () => {
    use();
    const f = (x: Tensor, i: Tensor): Tensor[] => [J.gather(x, 1, i).mul(2)];
    const jf = J.jit(f);
    const x = rand(140, [2, 5]);
    const ok = J.tensor(
      [
        [4, 0],
        [1, -5],
      ],
      { dtype: 'int32' },
    );
    for (let c = 0; c < 3; c++) jf(x, ok);
    const before = loweredReplays();
    expect(bits(jf(x, ok)[0]!)).toEqual(bits(f(x, ok)[0]!));
    expect(loweredReplays() - before).toBe(1);
    const bad = J.tensor(
      [
        [4, 0],
        [5, 1],
      ],
      { dtype: 'int32' },
    );
    // The message of gather at traced positions (which checks them when its kernel runs).
    const message = /^gather: index 5 \(entry 2\) is out of range for an axis of size 5$/;
    expect(() => J.jit(f)(x, bad)).toThrow(message);
    expect(() => jf(x, bad)).toThrow(J.ArgumentError);
    expect(() => jf(x, bad)).toThrow(message);
    expect(bits(jf(x, ok)[0]!)).toEqual(bits(f(x, ok)[0]!));
    expect(loweredReplays() - before).toBe(2);
  });

  it('shares memory between intermediates whose lifetimes do not overlap, and keeps the zeros of partly written ones', () => {
    use();
    const backend = createWasmBackend({ threads: 1 });
    J.setBackend(backend);
    const w = rand(7, [64, 64]).mul(0.1);
    const chain = (x: Tensor): Tensor[] => {
      let h = x;
      for (let i = 0; i < 30; i++) h = h.matmul(w).tanh();
      return [h.sum()];
    };
    const jf = J.jit(chain);
    jf(rand(140, [64, 64]));
    const before = backend.memoryBytes();
    for (let c = 1; c < 4; c++) {
      const x = rand(140 + c, [64, 64]);
      expect(bits(jf(x)[0]!), `call ${c}`).toEqual(bits(chain(x)[0]!));
    }
    // 60 intermediates of 16 KiB each: held one after another they would take 960 KiB.
    expect(backend.memoryBytes() - before).toBeLessThan(256 * 1024);

    // An array a kernel writes only in part keeps the zeros it was made with: its place is its
    // own on every call, never shared with a later intermediate.
    const padRight = definePrimitive<undefined>({
      name: 'padRight',
      shape: ([x]) => ({ shape: [2 * x!.shape[0]!], dtype: x!.dtype }),
      impl: ([x], _params, { shape, dtype }) => {
        const out = allocate(dtype, shape[0]!);
        activeBackend().copy(x!._view, { data: out, offset: 0, strides: [1] }, x!.shape);
        return fromArray(out, shape, dtype);
      },
      vjp: [null],
      jvp: [null],
      batch: () => {
        throw new Error('not batched in this test');
      },
    });
    const padded = (x: Tensor, y: Tensor): Tensor[] => {
      const p = bind(padRight, [x.exp()], undefined);
      const total = p.mul(p).sum();
      // As long as p: were it written into p's place, p's zeros would not be zeros at the next call.
      const q = y.mul(3).tanh().add(total);
      return [q, total];
    };
    expect(compare(padded, 5, (c) => [rand(160 + c, [32]), rand(170 + c, [64])])).toBe(3);

    // A concat's result is written in parts, and a slice's cotangent starts from zeros (filled
    // again at every call).
    const parts = (x: Tensor): Tensor[] => {
      const both = J.concat([x.exp(), x.sin(), x.mul(x)], 0);
      const [value, g] = J.valueAndGrad((y: Tensor) => y.slice(0, 1, 5).slice(1, 0, 3).tanh().sum())(both);
      return [value, g, both.matmul(x.transpose()).sum(1)];
    };
    expect(compare(parts, 5, (c) => [rand(150 + c, [4, 6])])).toBe(3);
  });

  it('prepares its calls again after the memory grows between calls', () => {
    use();
    const backend = createWasmBackend({ threads: 1, smallToFallback: false });
    J.setBackend(backend);
    const f = (x: Tensor): Tensor[] => [x.sigmoid().mul(x).add(1), x.matmul(x).sum(0)];
    const before = loweredReplays();
    const jf = J.jit(f);
    for (let c = 0; c < 3; c++) jf(rand(110 + c, [64, 64]));
    // A large product stages its operands in the instance's memory, which grows (detaching every view of it).
    const generation = backend.resident!.generation;
    rand(1, [800, 800]).matmul(rand(2, [800, 800]));
    expect(backend.resident!.generation).toBeGreaterThan(generation);
    const x = rand(120, [64, 64]);
    const got = jf(x);
    f(x).forEach((want, k) => expect(bits(got[k]!), `output ${k}`).toEqual(bits(want)));
    expect(loweredReplays() - before).toBe(2);
  });
});

describe('the JS backend', () => {
  it('has no memory of its own: jit keeps the ordinary replay', () => {
    J.setBackend('js');
    const f = (x: Tensor): Tensor[] => [x.exp().mul(x).sum(1)];
    expect(compare(f, 4, (c) => [rand(130 + c, [8, 8])])).toBe(0);
  });
});
