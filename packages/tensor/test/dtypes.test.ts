// int32 and bool: creation, PyTorch's promotion, the dtypes of results, integer arithmetic,
// bitwise ops, conversions, masks in index(), printing, and that autodiff treats them as
// constants (NotDifferentiableError where a derivative is asked of one).
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import type { DType, Tensor } from '../src/index.js';

const int = (data: J.NestedData) => J.tensor(data, { dtype: 'int32' });
const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];
const of = (dtype: DType): Tensor => J.tensor([1, 0, 1], { dtype });

describe('int32 and bool tensors', () => {
  it('are made by tensor, zeros, ones, full, arange and eye', () => {
    expect(int([1.7, -1.7, 2]).toArray()).toEqual([1, -1, 2]);
    expect(int([1]).data()).toBeInstanceOf(Int32Array);
    expect(J.tensor([true, false]).dtype).toBe('bool');
    expect(J.tensor([true, false]).data()).toBeInstanceOf(Uint8Array);
    expect(J.tensor([0, 2, Number.NaN, -0, 0.5], { dtype: 'bool' }).toArray()).toEqual([0, 1, 1, 0, 1]);
    expect(J.tensor([true, 2]).dtype).toBe('float32');
    expect(J.tensor(new Int32Array([3, -4])).dtype).toBe('int32');
    expect(J.tensor(new Uint8Array([0, 200])).toArray()).toEqual([0, 200]);
    expect(J.tensor(new Uint8Array([0, 200]), { dtype: 'bool' }).toArray()).toEqual([0, 1]);
    expect(J.zeros([2], { dtype: 'int32' }).dtype).toBe('int32');
    expect(J.ones([2], { dtype: 'bool' }).toArray()).toEqual([1, 1]);
    expect(J.full([2], 7, { dtype: 'int32' }).toArray()).toEqual([7, 7]);
    expect(J.full([2], true).dtype).toBe('bool');
    expect(J.full([2], 3, { dtype: 'bool' }).toArray()).toEqual([1, 1]);
    expect(J.arange(4, undefined, 1, { dtype: 'int32' }).toArray()).toEqual([0, 1, 2, 3]);
    expect(J.eye(2, 2, { dtype: 'bool' }).toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });
  it('refuse values that do not fit, and dtypes a function cannot make', () => {
    expect(() => int([2 ** 31])).toThrow(/^tensor: the value 2147483648 at flat index 0 does not fit int32/);
    expect(() => int([1, Number.NaN])).toThrow(/flat index 1 does not fit int32/);
    expect(() => J.full([1], 2 ** 40, { dtype: 'int32' })).toThrow(/^full: /);
    expect(() => J.arange(3, undefined, 1, { dtype: 'bool' })).toThrow(J.DTypeError);
    expect(() => J.rand([2], { dtype: 'int32' })).toThrow(/^rand: dtype int32 is not supported here/);
    expect(() => J.tensor([1], { dtype: 'int64' as DType })).toThrow(J.DTypeError);
  });

  it('promote as PyTorch: bool < int32 < float32 < float64', () => {
    for (const [i, a] of DTYPES.entries()) {
      for (const [k, b] of DTYPES.entries()) {
        const expected = DTYPES[Math.max(i, k)];
        expect(J.mul(of(a), of(b)).dtype, `${a} · ${b}`).toBe(expected);
        expect(J.maximum(of(a), of(b)).dtype).toBe(expected);
        expect(J.where(of('bool'), of(a), of(b)).dtype).toBe(expected);
        expect(J.concat([of(a), of(b)]).dtype).toBe(expected);
        expect(J.greater(of(a), of(b)).dtype).toBe('bool');
      }
    }
  });
  it('let a JavaScript number lift a tensor only to a higher kind', () => {
    expect(of('int32').add(2).dtype).toBe('int32');
    expect(of('int32').add(2.5).dtype).toBe('float32');
    expect(of('int32').add(2 ** 40).dtype).toBe('float32');
    expect(of('bool').add(1).dtype).toBe('int32');
    expect(of('bool').mul(0.5).dtype).toBe('float32');
    expect(of('float64').add(1).dtype).toBe('float64');
    expect(of('int32').add(1.5).toArray()).toEqual([2.5, 1.5, 2.5]);
    expect(J.where(of('bool'), 1, 0).dtype).toBe('int32');
    expect(J.where(of('bool'), 1.5, 0).dtype).toBe('float32');
    expect(J.where(of('float64'), 1, 0).dtype).toBe('float64');
  });

  it('give bool from comparisons and tests, int32 from positions', () => {
    const x = J.tensor([[3, 1, 2]], { dtype: 'float64' });
    for (const t of [x.less(2), x.isnan(), x.isinf(), x.isfinite(), x.logicalAnd(x), x.logicalNot(), x.any(), x.all(1)])
      expect(t.dtype).toBe('bool');
    for (const t of [x.argmax(), x.argmin(), x.argsort(), x.sort()[1], x.topk(2)[1], x.cummax(1)[1], J.nonzero(x)])
      expect(t.dtype).toBe('int32');
    expect(J.randint(0, 5, [3]).dtype).toBe('int32');
    expect(J.multinomial(J.tensor([0.5, 0.5]), 1).dtype).toBe('int32');
    expect(x.argsort().toArray()).toEqual([[1, 2, 0]]);
  });
  it('sum, mean, prod and the float functions on integers', () => {
    expect(J.tensor([true, true, false]).sum().dtype).toBe('int32');
    expect(J.tensor([true, true, false]).sum().item()).toBe(2);
    expect(J.tensor([true, true, false]).cumsum(0).toArray()).toEqual([1, 2, 2]);
    expect(int([1, 2]).mean().dtype).toBe('float32');
    expect(int([1, 2]).mean().item()).toBe(1.5);
    expect(J.tensor([true, true]).prod().toArray()).toBe(1);
    expect(J.tensor([true, true]).prod().dtype).toBe('int32');
    expect(int([0, 1]).exp().dtype).toBe('float32');
    expect(int([-3, 2]).abs().toArray()).toEqual([3, 2]);
    expect(int([-3, 2]).abs().dtype).toBe('int32');
    expect(int([-3, 2]).softmax().dtype).toBe('float32');
    expect(int([4]).floor().dtype).toBe('int32');
    expect(int([2, 3]).var().item()).toBeCloseTo(0.5, 6);
    expect(int([3, 4]).norm().item()).toBe(5);
  });
  it('max and min of integers span the whole int32 range', () => {
    const x = int([-(2 ** 31), 5, 2 ** 31 - 1]);
    expect(x.max().item()).toBe(2 ** 31 - 1);
    expect(x.min().item()).toBe(-(2 ** 31));
    expect(x.argmin().item()).toBe(0);
    expect(int([-5, -7]).max().item()).toBe(-5);
    expect(J.minimum(x, int([0, 0, 0])).toArray()).toEqual([-(2 ** 31), 0, 0]);
    expect(J.tensor([true, false]).min().toArray()).toBe(0);
  });

  it('do integer arithmetic as int32 does (wrapping), and true division', () => {
    expect(J.mul(int([65536, 123456789]), int([65536, 987654321])).toArray()).toEqual([0, Math.imul(123456789, 987654321)]);
    expect(J.add(int([2 ** 31 - 1]), 1).toArray()).toEqual([-(2 ** 31)]);
    expect(J.pow(int([3, 2, -2]), int([4, 31, 3])).toArray()).toEqual([81, -(2 ** 31), -8]);
    expect(() => J.pow(int([2]), -1)).toThrow(/^pow: integers to negative integer powers/);
    expect(J.div(int([7, -7]), 2).toArray()).toEqual([3.5, -3.5]);
    expect(J.div(int([7]), int([2])).dtype).toBe('float32');
  });
  it('keep floorDivide, remainder and fmod integral, and exact', () => {
    const a = int([7, -7, 7, -7, 2 ** 31 - 1]);
    const b = int([3, 3, -3, -3, 2]);
    expect(J.floorDivide(a, b).toArray()).toEqual([2, -3, -3, 2, 2 ** 30 - 1]);
    expect(J.remainder(a, b).toArray()).toEqual([1, 2, -2, -1, 1]);
    expect(J.fmod(a, b).toArray()).toEqual([1, -1, 1, -1, 1]);
    expect(J.remainder(a, b).dtype).toBe('int32');
    expect(() => J.floorDivide(a, 0)).toThrow(/^floorDivide: integer division by zero/);
    expect(J.floorDivide(int([7]), 2.5).dtype).toBe('float32');
  });
  it('refuse bool arithmetic PyTorch refuses, and do the rest as logic', () => {
    const p = J.tensor([true, true, false]);
    const q = J.tensor([true, false, false]);
    expect(J.add(p, q).toArray()).toEqual([1, 1, 0]);
    expect(J.add(p, q).dtype).toBe('bool');
    expect(J.mul(p, q).toArray()).toEqual([1, 0, 0]);
    expect(() => J.sub(p, q)).toThrow(/^sub: subtraction of bool tensors is not supported/);
    expect(() => p.neg()).toThrow(/^neg: negation of a bool tensor/);
    expect(() => int([1]).frac()).toThrow(J.DTypeError);
  });

  it('convert between all four dtypes with astype', () => {
    const x = J.tensor([-1.7, -0.5, 0, 0.5, 2.9, Number.NaN], { dtype: 'float64' });
    expect(x.astype('int32').toArray()).toEqual([-1, 0, 0, 0, 2, 0]);
    expect(x.astype('bool').toArray()).toEqual([1, 1, 0, 1, 1, 1]);
    expect(int([0, 3, -2]).astype('bool').toArray()).toEqual([0, 1, 1]);
    expect(int([256]).astype('bool').toArray()).toEqual([1]);
    expect(J.tensor([true, false]).astype('float64').toArray()).toEqual([1, 0]);
    expect(J.tensor([true, false]).astype('int32').dtype).toBe('int32');
  });
  it('take a bool or numeric condition in where', () => {
    const x = J.tensor([1, 2, 3]);
    expect(J.where(J.tensor([true, false, true]), x, 0).toArray()).toEqual([1, 0, 3]);
    expect(J.where(J.tensor([2, 0, -1]), x, 0).toArray()).toEqual([1, 0, 3]);
    expect(J.where(int([0, 1, 0]), x, 9).toArray()).toEqual([9, 2, 9]);
  });

  it('have bitwise ops and shifts', () => {
    const a = int([12, -1, 5]);
    const b = int([10, 7, 1]);
    expect(J.bitwiseAnd(a, b).toArray()).toEqual([8, 7, 1]);
    expect(J.bitwiseOr(a, b).toArray()).toEqual([14, -1, 5]);
    expect(J.bitwiseXor(a, b).toArray()).toEqual([6, -8, 4]);
    expect(J.bitwiseNot(a).toArray()).toEqual([-13, 0, -6]);
    expect(J.bitwiseNot(J.tensor([true, false])).toArray()).toEqual([0, 1]);
    expect(J.bitwiseAnd(J.tensor([true, true]), J.tensor([true, false])).dtype).toBe('bool');
    expect(J.leftShift(int([1, 3, 1, 1]), int([4, 1, 32, -1])).toArray()).toEqual([16, 6, 0, 0]);
    expect(J.rightShift(int([-8, 8, -8, 8]), int([1, 1, 40, 40])).toArray()).toEqual([-4, 4, -1, 0]);
    expect(J.leftShift(int([1]), 31).toArray()).toEqual([-(2 ** 31)]);
    expect(() => J.bitwiseAnd(J.tensor([1]), int([1]))).toThrow(/^bitwiseAnd: the first operand has dtype float32, expected int32 or bool/);
    expect(() => J.leftShift(int([1]), 1.5)).toThrow(/^leftShift: a number operand must be an int32 integer/);
    expect(() => J.bitwiseNot(J.tensor([1]))).toThrow(J.DTypeError);
  });

  it('mask with index(): a bool tensor or nested booleans select, and stay differentiable', () => {
    const x = J.tensor([
      [1, -2, 3],
      [-4, 5, -6],
    ]);
    expect(x.index(x.greater(0)).toArray()).toEqual([1, 3, 5]);
    expect(x.index(null, [true, false, true]).toArray()).toEqual([
      [1, 3],
      [-4, -6],
    ]);
    expect(x.index([false, true]).toArray()).toEqual([[-4, 5, -6]]);
    expect(x.index(J.tensor([true, false]), '1:').toArray()).toEqual([[-2, 3]]);
    expect(() => x.index([true, false, true])).toThrow(/^index: a bool mask of shape \[3\] must match the axes it indexes, \[2\]/);
    expect(() => x.index([true, 1] as never)).toThrow(/^index: a mask written as an array must hold only booleans/);
    const g = J.grad((t: Tensor) => t.index(t.greater(0)).square().sum())(x);
    expect(g.toArray()).toEqual([
      [2, 0, 6],
      [0, 10, 0],
    ]);
    expect(() => J.take(x, x.greater(0))).toThrow(/^take: the indices are a bool tensor, which is a mask/);
    expect(() => J.maskedFill(x, J.tensor([1, 0, 1]), 0)).toThrow(/^maskedFill: the mask has dtype float32, expected bool/);
    expect(J.maskedFill(int([1, 2]), J.tensor([true, false]), 7.9).toArray()).toEqual([7, 2]);
    expect(J.take(x, int([2, 0]), 1).toArray()).toEqual([
      [3, 1],
      [-6, -4],
    ]);
  });

  it('print as NumPy does', () => {
    expect(int([1, -20, 3]).toString()).toBe('tensor([  1, -20,   3], dtype=int32)');
    expect(J.tensor([true, false]).toString()).toBe('tensor([ True, False])');
    expect(J.tensor(true).toString()).toBe('tensor(True)');
  });

  it('are constants to autodiff: no tangent, no cotangent, a typed error when asked for one', () => {
    const n = int([1, 2, 3]);
    const x = J.tensor([0.5, 1, 2], { dtype: 'float64' });
    expect(() => J.grad((t: Tensor) => t.sum())(n)).toThrow(J.NotDifferentiableError);
    expect(() => J.grad((t: Tensor) => t.sum())(n)).toThrow(/^grad: argument 0 has dtype int32; only float32 and float64/);
    const f = (t: Tensor, k: Tensor) => t.mul(k).sum();
    expect(() => J.grad(f, { argnums: [0, 1] })(x, n)).toThrow(/^grad: argument 1 has dtype int32/);
    expect(J.grad(f)(x, n).toArray()).toEqual([1, 2, 3]);
    expect(() => J.jvp((t: Tensor) => t, [n], [n])).toThrow(/^jvp: argument 0 has dtype int32/);
    expect(() => J.vjp((t: Tensor) => t, J.tensor([true]))).toThrow(/^vjp: argument 0 has dtype bool/);
    expect(() => J.vjp((t: Tensor) => t.greater(0), x)[1](1)).toThrow(/^vjp: the function's output has dtype bool/);
    expect(() => J.tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow(/^requiresGrad: a int32 tensor cannot require grad/);
    expect(() => J.gradcheck((t: Tensor) => t, [n])).toThrow(J.NotDifferentiableError);
    // A cast to int32 cuts the graph: the result is a constant, so its derivative is 0.
    expect(J.grad((t: Tensor) => t.astype('int32').astype('float64').mul(t).sum())(x).toArray()).toEqual([0, 1, 2]);
    expect(J.jvp((t: Tensor) => t.argmax().astype('float64').add(t.sum()), [x], [J.onesLike(x)])[1].item()).toBe(3);
  });

  it('run on the WebAssembly backend exactly as on the JS one', async () => {
    const { createWasmBackend } = await import('../src/wasm.js');
    const wasm = createWasmBackend({ threads: 1, smallToFallback: false });
    const run = () => {
      const a = J.arange(-600, 600, 1, { dtype: 'int32' }).reshape([40, 30]);
      const b = J.arange(0, 1200, 1, { dtype: 'int32' }).reshape([40, 30]).remainder(7).add(1);
      return [
        a.mul(b),
        a.floorDivide(b),
        a.greater(0),
        a.sum(1),
        a.max(0),
        a.exp().sum(),
        a.matmul(b.T),
        a.cumsum(1),
        a.where(a.greater(0), 0),
      ].map((t) => t.toArray());
    };
    const reference = run();
    const previous = J.getBackend();
    J.setBackend(wasm);
    try {
      expect(run()).toEqual(reference);
    } finally {
      J.setBackend(previous);
      wasm.dispose();
    }
  });
});
