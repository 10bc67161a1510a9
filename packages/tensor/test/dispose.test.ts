// Tensor.dispose(): a disposed tensor refuses every later use with an ArgumentError naming the
// function, and its array goes to the next allocation of its dtype and length only where the
// tensor held it alone. Everything that may share an array (views, the tape, a pending
// expression, a leaf that took it by assign, jit's captured tensors) must keep its values when
// the tensor is disposed and its array handed out and overwritten: the tests below lower the
// recycling floor to every size, dispose the inputs, overwrite whatever the allocator hands out
// with NaN, and compare.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { allocateUnfilled, recycledArrayBytes, setRecyclingFloor, type DType } from '../src/dtype.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { DEFER_MIN_ELEMENTS, deferredComputed, isPending } from '../src/core/deferred.js';
import { Tensor as TensorClass } from '../src/core/tensor.js';
import { floatPositions, operationRows } from './op-rows.js';
import { RUNS } from './support.js';

const initial = J.getBackend();
afterEach(() => {
  J.setBackend(initial);
  setRecyclingFloor();
});

const bits = (t: Tensor): number[] => Array.from(t.data());
/** A tensor made by an operation (one that holds its array alone), of `n` values. */
const made = (seed: number, shape: number[], dtype: 'float32' | 'float64' = 'float64'): Tensor =>
  J.randn(shape, { rng: J.rng(seed), dtype })
    .mul(1)
    .realize();

/** Takes every kept array of these kinds out of the allocator and overwrites it with NaN. */
function overwriteRecycled(kinds: readonly { dtype: DType; size: number }[]): void {
  for (let round = 0; round < 4; round++)
    for (const { dtype, size } of kinds) allocateUnfilled(dtype, size).fill(dtype === 'int32' || dtype === 'bool' ? 7 : Number.NaN);
}

describe('dispose', () => {
  it('refuses later uses with an ArgumentError naming the function, and keeps shape and dtype', () => {
    const x = made(1, [2, 3]);
    x.dispose();
    expect(x.isDisposed).toBe(true);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe('float64');
    expect(String(x)).toBe('tensor(disposed, shape [2,3], float64)');
    expect(() => x.add(1)).toThrow(J.ArgumentError);
    expect(() => x.add(1)).toThrow(/^add: the first operand \(shape \[2,3\], float64\) was disposed$/);
    expect(() => J.tensor([1, 2, 3]).mul(x)).toThrow(/^mul: the second operand .* was disposed$/);
    // Operands of one shape and dtype take binaryOperands' short path: the same errors.
    const same = made(3, [2, 3]);
    expect(() => x.sub(same)).toThrow(/^sub: the first operand \(shape \[2,3\], float64\) was disposed$/);
    expect(() => same.div(x)).toThrow(/^div: the second operand \(shape \[2,3\], float64\) was disposed$/);
    expect(() => J.matmul(x, J.ones([3, 2], { dtype: 'float64' }))).toThrow(/^matmul: .* \(shape \[2,3\], float64\) was disposed$/);
    for (const [method, call] of [
      ['data', () => x.data()],
      ['item', () => x.item()],
      ['toArray', () => x.toArray()],
      ['realize', () => x.realize()],
    ] as const)
      expect(call, method).toThrow(new RegExp(`^${method}: this tensor .* was disposed$`));
    x.dispose();
    expect(x.isDisposed).toBe(true);
    const y = made(2, [3]);
    expect(y.isDisposed).toBe(false);
  });

  it('disposes the tensor of a `using` declaration when its block ends', () => {
    let kept: Tensor | null = null;
    {
      using y = made(13, [4]);
      kept = y;
      expect(y.isDisposed).toBe(false);
    }
    expect(kept.isDisposed).toBe(true);
    const z = made(14, [4]);
    z[Symbol.dispose]();
    expect(z.isDisposed).toBe(true);
  });

  it.each([
    ['js', () => J.setBackend('js')],
    ['wasm', () => J.setBackend(createWasmBackend())],
  ])('hands a large result array to the next result of its dtype and length (%s)', (_name, use) => {
    use();
    const n = 4 * DEFER_MIN_ELEMENTS + 3;
    const [a, b, c] = [3, 4, 5].map((s) => made(s, [n], 'float32')) as [Tensor, Tensor, Tensor];
    // A fused chain, one deferred operation, and a product (all above 16 KiB).
    for (const result of [
      () => a.mul(b).add(c).tanh(),
      () => a.exp(),
      () => J.matmul(a.reshape([n, 1]), b.reshape([1, n]).slice(1, 0, 4)),
    ]) {
      const y = result().realize();
      const array = y._view.data;
      expect(array.byteLength).toBeGreaterThan(16384);
      y.dispose();
      expect(result().realize()._view.data === array, String(result)).toBe(true);
    }
    const kept = recycledArrayBytes();
    expect(kept).toBeLessThanOrEqual(64 << 20);
    // A small result is left to the garbage collector.
    const small = made(6, [8], 'float32');
    small.dispose();
    expect(recycledArrayBytes()).toBe(kept);
  });

  it('leaves views, detached handles, requiresGrad leaves, assigned leaves and pending expressions their values', () => {
    setRecyclingFloor(1);
    const shape = [8, DEFER_MIN_ELEMENTS / 4];
    const n = shape[0]! * shape[1]!;
    const kinds = [{ dtype: 'float32' as const, size: n }];
    const source = () => made(7, shape, 'float32');
    // Each case makes, from x, a tensor that shares or reads x's array. (detach() of a plain tensor
    // is the tensor itself, disposed with it.)
    const cases: [string, (x: Tensor) => Tensor][] = [
      ['reshape', (x) => x.reshape([n])],
      ['transpose', (x) => x.T],
      ['slice', (x) => x.slice(1, 2, 40)],
      ['pending expression', (x) => x.mul(1)],
      [
        'assign',
        (x) => {
          const leaf = J.zeros(shape, { requiresGrad: true });
          J.noGrad(() => leaf.assign(x));
          return leaf;
        },
      ],
      [
        'requiresGrad',
        (x) => {
          x.requiresGrad = true;
          return x.detach();
        },
      ],
    ];
    for (const [name, share] of cases) {
      const want = bits(share(source()));
      const x = source();
      const shared = share(x);
      x.dispose();
      overwriteRecycled(kinds);
      expect(bits(shared), name).toEqual(want);
    }
  });

  it('a pending value shared before it is computed does not hold its array alone after', () => {
    const n = 2 * DEFER_MIN_ELEMENTS;
    const [a, b] = [17, 18].map((seed) => made(seed, [n], 'float32')) as [Tensor, Tensor];
    const alone = a.mul(b).add(1);
    expect(isPending(alone)).toBe(true);
    alone.realize();
    expect(alone._owns).toBe(true);
    const shared = a.mul(b).add(1);
    // A tracer over it (as jvp or vmap make over a primal computed one level down).
    void new TensorClass(shared._view, { kind: 'batch', level: 1e9, primal: shared, axis: 0 });
    shared.realize();
    expect(shared._owns).toBe(false);
    // Disposing a value still pending computes nothing.
    const before = deferredComputed();
    const dropped = a.mul(b).add(2);
    dropped.dispose();
    expect(deferredComputed()).toBe(before);
  });

  it('leaves the tape, gradients and jit their values; a disposed captured tensor is refused', () => {
    setRecyclingFloor(1);
    const w = J.tensor(made(8, [5, 3]).toArray(), { requiresGrad: true, dtype: 'float64' });
    const wantGrad = (() => {
      const x = made(9, [4, 5]);
      const loss = x.matmul(w).tanh().sum();
      loss.backward();
      const g = bits(w.grad!);
      w.grad = null;
      return g;
    })();
    const x = made(9, [4, 5]);
    const loss = x.matmul(w).tanh().sum();
    x.dispose();
    overwriteRecycled([
      { dtype: 'float64', size: 20 },
      { dtype: 'float64', size: 12 },
    ]);
    loss.backward();
    expect(bits(w.grad!)).toEqual(wantGrad);
    // The recorded result's primal, reached by detach(), is shared with the tape (tanh's rule reads it).
    w.grad = null;
    const h = made(9, [4, 5]).matmul(w).tanh();
    h.detach().dispose();
    overwriteRecycled([{ dtype: 'float64', size: 12 }]);
    h.sum().backward();
    expect(bits(w.grad!)).toEqual(wantGrad);

    // The pullback keeps what it reads of a disposed input; vjp's value is what tanh's rule reads,
    // so once it is disposed the pullback refuses to run.
    const f2 = (v: Tensor) => v.mul(2).tanh();
    const ones = J.ones([6], { dtype: 'float64' });
    const wantPull = bits(J.vjp(f2, made(10, [6]))[1](ones)[0]!);
    const t = made(10, [6]);
    const [value, pull] = J.vjp(f2, t);
    t.dispose();
    overwriteRecycled([{ dtype: 'float64', size: 6 }]);
    expect(bits(pull(ones)[0]!)).toEqual(wantPull);
    value.dispose();
    expect(() => pull(ones)).toThrow(J.ArgumentError);

    // A lowered jit call's result (from the third call on, on the WASM backend) holds its array
    // alone; disposed, the array serves the next call's result, whose values are right.
    const [u, v] = [15, 16].map((seed) => made(seed, [5000])) as [Tensor, Tensor];
    const g = J.jit((p: Tensor, q: Tensor) => p.mul(q).add(1));
    const wantG = bits(u.mul(v).add(1));
    let previous: Tensor['_view']['data'] | null = null;
    let reused = 0;
    for (let call = 0; call < 6; call++) {
      const out = g(u, v);
      if (out._view.data === previous) reused++;
      expect(bits(out), `call ${call}`).toEqual(wantG);
      previous = out._view.data;
      out.dispose();
    }
    if (J.getBackend() !== 'js') expect(reused).toBeGreaterThan(0);

    const captured = made(11, [6]);
    const f = J.jit((v: Tensor) => v.mul(captured));
    const arg = made(12, [6]);
    const first = bits(f(arg));
    for (let call = 0; call < 3; call++) expect(bits(f(arg))).toEqual(first);
    captured.dispose();
    expect(() => f(arg)).toThrow(J.ArgumentError);
  });
});

const specs = operationRows;

describe('every op row keeps its value and gradient when its inputs are disposed and their arrays reused', () => {
  for (const spec of specs) {
    it(spec.name, () => {
      setRecyclingFloor(1);
      fc.assert(
        fc.property(spec.inputs, (xs) => {
          const floats = floatPositions(xs);
          const want = bits(spec.fn(...xs));
          const wantGrads =
            floats.length === 0 ? [] : [J.grad((...a: Tensor[]) => spec.fn(...a).sum(), { argnums: floats })(...xs)].flat().map(bits);
          // Float inputs made by an operation hold their arrays alone, as results in user code do.
          const copies = () => xs.map((x, i) => (floats.includes(i) ? x.mul(1).realize() : x));
          const ys = copies();
          const out = spec.fn(...ys);
          const zs = copies();
          const withFloats = (fl: Tensor[]) => zs.map((z, i) => (floats.includes(i) ? fl[floats.indexOf(i)]! : z));
          const pull =
            floats.length === 0 ? null : J.vjp((...fl: Tensor[]) => spec.fn(...withFloats(fl)).sum(), ...floats.map((i) => zs[i]!))[1];
          for (const i of floats) {
            ys[i]!.dispose();
            zs[i]!.dispose();
          }
          overwriteRecycled(xs.map((x) => ({ dtype: x.dtype, size: x.size })));
          // An operation that changes nothing may return its input itself, disposed with it.
          if (!ys.includes(out)) expect(bits(out), spec.name).toEqual(want);
          if (pull !== null) expect(pull(1).map(bits), `gradient of ${spec.name}`).toEqual(wantGrads);
        }),
        { numRuns: Math.min(RUNS, 10) },
      );
    });
  }
});
