// Eager fusion (core/deferred.ts): elementwise operations on large tensors return pending
// tensors whose value is computed at its first read, a chain of them as one fused kernel. A
// pending result must equal, bit for bit, the same operations run one at a time (deferral off),
// whatever is done between the call and the read: operands assigned, the backend switched, the
// value read by several later operations, jit called on it.
import { afterEach, describe, expect, it } from 'vitest';
import * as J from '@jacobi/tensor';
import type { Tensor } from '@jacobi/tensor';
import { DEFER_MIN_ELEMENTS, deferredComputed, isPending, setDeferring } from '../src/core/deferred.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { viewWithData } from '../src/core/tensor.js';
import { announceSeed, fc, runs } from '../../../test/support/properties.js';

announceSeed('deferred');

const initial = J.getBackend();
afterEach(() => {
  J.setBackend(initial);
  setDeferring(true);
});

const bits = (t: Tensor): number[] => Array.from(t.data());
const rand = (seed: number, shape: number[], dtype: 'float32' | 'float64' = 'float32'): Tensor =>
  J.randn(shape, { rng: J.rng(seed), dtype });

/** f's results with deferral on and off: the same bits. */
function sameAsImmediate(f: () => Tensor[]): void {
  const deferred = f();
  setDeferring(false);
  const immediate = f();
  setDeferring(true);
  deferred.forEach((t, k) => {
    expect(t.shape, `output ${k}`).toEqual(immediate[k]!.shape);
    expect(t.dtype, `output ${k}`).toBe(immediate[k]!.dtype);
    expect(bits(t), `output ${k}`).toEqual(bits(immediate[k]!));
  });
}

const backends: [string, () => void][] = [
  ['js', () => J.setBackend('js')],
  ['wasm', () => J.setBackend(createWasmBackend())],
  // Every kernel in SIMD, whatever its size: the fused kernels' float32 approximations run.
  ['wasm, no small fallback', () => J.setBackend(createWasmBackend({ smallToFallback: false }))],
];

describe.each(backends)('deferred elementwise chains on %s', (_name, use) => {
  const n = 3 * DEFER_MIN_ELEMENTS + 5;

  it('a chain is pending until read, runs as one expression, and equals the ops run one at a time', () => {
    use();
    for (const dtype of ['float32', 'float64'] as const) {
      const [a, b, c] = [1, 2, 3].map((s) => rand(s, [n], dtype)) as [Tensor, Tensor, Tensor];
      const before = deferredComputed();
      // (On the WASM backend a float64 tanh has no SIMD kernel, so it would run at once.)
      const y = dtype === 'float32' ? a.mul(b).add(c).tanh() : a.mul(b).add(c).abs().sqrt();
      expect(isPending(y)).toBe(true);
      expect(deferredComputed()).toBe(before);
      expect(y.shape).toEqual([n]);
      expect(y.dtype).toBe(dtype);
      y.realize();
      expect(isPending(y)).toBe(false);
      expect(deferredComputed()).toBe(before + 1);
      sameAsImmediate(() => [a.mul(b).add(c).tanh(), a.sigmoid().mul(b.exp()).sub(c.neg().abs()).div(2)]);
    }
  });

  it('broadcast rows and scalars, comparisons, where and casts', () => {
    use();
    const x = rand(4, [64, 48]);
    const bias = rand(5, [48]);
    sameAsImmediate(() => [
      x.add(bias).mul(0.5).tanh(),
      x.greater(bias).where(x, x.mul(-1)).add(1),
      x.greater(0).astype('float32').mul(x),
      x.astype('float64').mul(3).sqrt(),
      x.pow(2).maximum(bias.exp()),
    ]);
  });

  it('a pending value read by several later operations, and long chains, keep their values', () => {
    use();
    const a = rand(6, [n]);
    const b = rand(7, [n]);
    sameAsImmediate(() => {
      const shared = a.mul(b).add(1);
      const first = shared.tanh();
      const second = shared.sub(b);
      let long = a;
      for (let i = 0; i < 100; i++) long = long.mul(0.999).add(b.mul(0.001));
      let squares = b.mul(0.5);
      for (let i = 0; i < 6; i++) squares = squares.mul(squares).add(0.25);
      return [second, first, shared, long, squares];
    });
  });

  it('a pending value read twice by one operation (square) is taken in once, and stays pending', () => {
    use();
    const [a, b] = [10, 11].map((s) => rand(s, [n])) as [Tensor, Tensor];
    const p = a.sub(b).mul(0.5);
    const y = p.square().add(1).sqrt();
    // p's nodes are in y's expression; nothing read p's value on its own.
    expect(isPending(p)).toBe(true);
    const before = deferredComputed();
    y.realize();
    expect(deferredComputed()).toBe(before + 1);
    sameAsImmediate(() => {
      const q = a.sub(b).mul(0.5);
      return [q.square().add(q.mul(q)).sqrt(), q, a.mul(b).square().square()];
    });
  });

  it('what happens between the call and the read changes nothing', () => {
    use();
    const w = J.tensor(rand(8, [n]).data(), { requiresGrad: true });
    const b = rand(9, [n]);
    const want = bits(w.mul(b).add(1).realize());
    const pending = w.mul(b).add(1);
    J.noGrad(() => w.assign(w.mul(2)));
    expect(bits(pending)).toEqual(want);
    const onOtherBackend = b.exp().mul(3);
    const wantOther = bits(b.exp().mul(3).realize());
    J.setBackend(initial === 'js' ? 'wasm' : 'js');
    expect(bits(onOtherBackend)).toEqual(wantOther);
  });

  it('a pending view held by two tensors, or copied field by field, reads the computed value', () => {
    use();
    const [a, b] = [14, 15].map((s) => rand(s, [n])) as [Tensor, Tensor];
    const want = bits(a.mul(b).add(1).realize());
    const y = a.mul(b).add(1);
    const leaf = a.mul(b).add(1);
    // Turning on requiresGrad keeps the pending view as the leaf's primal, a second holder.
    leaf.requiresGrad = true;
    const layout = viewWithData(y._view, new Float32Array(n));
    // A spread of the pending view would have no offset or strides (they are accessors).
    expect([layout.offset, layout.strides, layout.shape, layout.dtype]).toEqual([0, [1], [n], 'float32']);
    expect(isPending(y)).toBe(false);
    // After its first read the tensor holds the computed view itself, an ordinary object.
    expect(Object.getPrototypeOf(y._view)).toBe(Object.prototype);
    expect(bits(y)).toEqual(want);
    expect(bits(leaf)).toEqual(want);
    expect(bits(leaf.mul(2).sub(leaf))).toEqual(want);
  });

  it('bad input still throws at the call, with nothing pending', () => {
    use();
    const a = rand(10, [n]);
    expect(() => a.add(rand(11, [n + 1]))).toThrow(J.ShapeError);
    expect(() => a.mul(J.tensor([1, 2]))).toThrow(/mul/);
  });

  it('gradients through pending values, and jit called on them, equal the immediate ones', () => {
    use();
    const x = rand(12, [n]);
    const t = rand(13, [n]);
    const loss = (w: Tensor): Tensor => w.mul(x).tanh().sub(t).square().sum();
    const step = J.jit((w: Tensor) => w.mul(x).sigmoid().mul(t));
    sameAsImmediate(() => {
      const [value, grad] = J.valueAndGrad(loss)(x.mul(0.5).add(0.1));
      const outs = [value, grad];
      for (let call = 0; call < 4; call++) outs.push(step(x.mul(call + 1).sub(t)));
      return outs;
    });
  });
});

describe('deferred chains on random expressions', () => {
  it('equal the ops run one at a time, on every backend', () => {
    const unary = ['tanh', 'exp', 'sigmoid', 'neg', 'abs', 'sin', 'sqrt'] as const;
    const binary = ['add', 'sub', 'mul', 'div', 'maximum'] as const;
    const program = fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom(...unary), at: fc.nat() }),
        fc.record({ kind: fc.constant('binary' as const), op: fc.constantFrom(...binary), at: fc.nat(), with: fc.nat() }),
        fc.record({ kind: fc.constant('scalar' as const), value: fc.double({ min: -2, max: 2, noNaN: true }), at: fc.nat() }),
      ),
      { minLength: 1, maxLength: 24 },
    );
    fc.assert(
      fc.property(program, fc.constantFrom(...backends), fc.constantFrom('float32', 'float64'), (steps, [, use], dtype) => {
        use();
        const leaves = [1, 2, 3].map((s) => rand(20 + s, [DEFER_MIN_ELEMENTS + 37], dtype as 'float32' | 'float64'));
        sameAsImmediate(() => {
          const values = [...leaves];
          for (const s of steps) {
            const x = values[s.at % values.length]!;
            values.push(s.kind === 'unary' ? x[s.op]() : s.kind === 'scalar' ? x.mul(s.value) : x[s.op](values[s.with % values.length]!));
          }
          // Every value, read in reverse order of creation (the latest read first).
          return values.reverse();
        });
      }),
      { numRuns: runs(60) },
    );
  });
});
