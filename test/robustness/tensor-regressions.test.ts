// One regression test per class of the robustness issue (numbered as in the issue), each with
// the example that showed it: data that aborted the process, allocations before validation,
// untyped errors and errors naming the wrong function, silent wrong results, unbounded work.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import * as J from '@jacobi/tensor';
import { createWasmBackend } from '@jacobi/tensor/wasm';

const { tensor } = J;
const x = () =>
  tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
const bad = <T>(v: unknown) => v as T;

/** Expects `call` to throw an error of class `E` whose message starts with `prefix`. */
function expectError(call: () => unknown, E: new (...args: never[]) => J.JacobiError, prefix: string): J.JacobiError {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(E);
    expect((e as Error).message.startsWith(prefix), (e as Error).message).toBe(true);
    return e as J.JacobiError;
  }
  throw new Error(`expected ${E.name} starting with '${prefix}', but the call returned`);
}

const initialBackend = J.getBackend();
afterEach(() => J.setBackend(initialBackend));

describe('2. data that aborted the process or shifted silently', () => {
  it('a self-referential array is a typed error naming the index', () => {
    const a: unknown[] = [1];
    a[0] = a;
    expect(expectError(() => tensor(bad(a)), J.ArgumentError, 'tensor:').message).toMatch(/contains itself at index \[0\]/);
    const inner: unknown[] = [1, 2];
    const outer: unknown[] = [inner, [3, 4]];
    inner[1] = outer;
    expect(expectError(() => tensor(bad(outer)), J.ArgumentError, 'tensor:').message).toMatch(/contains itself at index \[0\]\[1\]/);
  });
  it('a sparse array is a typed error naming the hole, not shifted data', () => {
    // biome-ignore lint/suspicious/noSparseArray: a sparse array is the hostile value under test
    expect(expectError(() => tensor(bad([1, , 3])), J.ArgumentError, 'tensor:').message).toMatch(/hole .* at index \[1\]/);
    expect(
      expectError(
        () =>
          tensor(
            bad([
              [1, 2],
              // biome-ignore lint/suspicious/noSparseArray: a sparse array is the hostile value under test
              [3, ,],
            ]),
          ),
        J.ArgumentError,
        'tensor:',
      ).message,
    ).toMatch(/index \[1\]\[1\]/);
  });
  it('huge sparse arrays are refused before anything is walked or allocated', () => {
    expectError(() => tensor(bad(new Array(2 ** 32 - 1))), J.ShapeError, 'tensor:');
    expectError(() => J.zeros(bad(new Array(2 ** 32 - 1))), J.ShapeError, 'zeros:');
    expectError(() => J.concat(bad(new Array(2 ** 32 - 1))), J.ArgumentError, 'concat:');
    expectError(() => J.sum(x(), bad(new Array(2 ** 32 - 1))), J.AxisError, 'sum:');
  });
});

describe('3. sizes are checked before allocating', () => {
  it('shapes beyond what a typed array holds are ShapeErrors', () => {
    expectError(() => J.zeros([1e6, 1e6]), J.ShapeError, 'zeros:');
    expectError(() => J.full([2 ** 31, 2 ** 31], 1), J.ShapeError, 'full:');
    expectError(() => J.eye(1e5), J.ShapeError, 'eye:');
    expectError(() => J.arange(0, 1e10), J.ShapeError, 'arange:');
    expectError(() => J.randn([2 ** 16, 2 ** 16]), J.ShapeError, 'randn:');
    expectError(() => tensor(new Float32Array(4), { shape: [2 ** 40, 0.5] }), J.ShapeError, 'tensor:');
  });
});

describe('4. untyped errors, and errors naming the wrong function', () => {
  it('non-array shapes, axes and permutations', () => {
    expectError(() => J.broadcastTo(x(), bad('ab')), J.ShapeError, 'broadcastTo:');
    expectError(() => J.sum(x(), bad({})), J.AxisError, 'sum:');
    expectError(() => J.transpose(x(), bad(5)), J.AxisError, 'transpose:');
    expectError(() => J.reshape(x(), bad(null)), J.ShapeError, 'reshape:');
  });
  it('symbols in any argument (the message itself must not throw)', () => {
    expectError(() => J.add(x(), bad(Symbol('s'))), J.ArgumentError, 'add:');
    expectError(() => J.sum(x(), bad(Symbol('s'))), J.AxisError, 'sum:');
    expectError(() => J.zeros(bad([2, Symbol('s')])), J.ShapeError, 'zeros:');
    expectError(() => J.astype(x(), bad(Symbol('s'))), J.DTypeError, 'astype:');
    expectError(() => x().index(bad(Symbol('s'))), J.ArgumentError, 'index:');
  });
  it('non-functions given to the transforms and to noGrad and detectAnomaly', () => {
    for (const [name, call] of [
      ['grad', () => J.grad(bad(5))],
      ['valueAndGrad', () => J.valueAndGrad(bad(null))],
      ['vjp', () => J.vjp(bad('f'), x())],
      ['jvp', () => J.jvp(bad({}), [x()], [x()])],
      ['jacobian', () => J.jacobian(bad(1))],
      ['hessian', () => J.hessian(bad(1))],
      ['noGrad', () => J.noGrad(bad(5))],
      ['detectAnomaly', () => J.detectAnomaly(bad(5))],
      ['gradcheck', () => J.gradcheck(bad(5), [x()])],
    ] as const) {
      expectError(call, J.ArgumentError, `${name}:`);
    }
  });
  it('null option objects', () => {
    expectError(() => J.zeros([2], bad(null)), J.ArgumentError, 'zeros:');
    expectError(() => tensor([1], bad(null)), J.ArgumentError, 'tensor:');
    expectError(() => J.grad((t: J.Tensor) => t.sum(), bad(null)), J.ArgumentError, 'grad:');
    expectError(() => J.jacobian((t: J.Tensor) => t, bad(null)), J.ArgumentError, 'jacobian:');
    expectError(() => J.gradcheck((t: J.Tensor) => t.sum(), [x()], bad(null)), J.ArgumentError, 'gradcheck:');
    expectError(() => tensor([1], { requiresGrad: true }).sum().backward(bad(null)), J.ArgumentError, 'backward:');
    expectError(() => createWasmBackend(bad(null)), J.ArgumentError, 'createWasmBackend:');
  });
  it('non-tensors given to toDot and toMermaid', () => {
    expectError(() => J.toDot(bad(5)), J.ArgumentError, 'toDot:');
    expectError(() => J.toMermaid(bad(null)), J.ArgumentError, 'toMermaid:');
  });
  it('setBackend refuses what is not a backend, and the active backend stays usable', () => {
    const before = J.getBackend();
    expectError(() => J.setBackend(bad(5)), J.ArgumentError, 'setBackend:');
    expectError(() => J.setBackend(bad(null)), J.ArgumentError, 'setBackend:');
    expectError(() => J.setBackend(bad({ name: 'half' })), J.ArgumentError, 'setBackend:');
    expectError(() => J.registerBackend(bad({ name: 'half', unary: () => {} })), J.ArgumentError, 'registerBackend:');
    expect(J.getBackend()).toBe(before);
    expect(x().add(1).toArray()).toEqual([
      [2, 3, 4],
      [5, 6, 7],
    ]);
  });
  it('composites name the function the user called', () => {
    expectError(() => J.slice(x(), 0, bad('a')), J.ArgumentError, 'slice:');
    expectError(() => x().slice(1, 0, 3, 0), J.ArgumentError, 'slice:');
    expectError(() => J.flatten(bad(5)), J.ArgumentError, 'flatten:');
    expectError(() => J.clamp(x(), bad('x')), J.ArgumentError, 'clamp:');
    expectError(() => J.clamp(x(), tensor([1, 2])), J.ShapeError, 'clamp:');
    expectError(() => J.hessian((t: J.Tensor) => t.mul(2))(tensor([1, 2])), J.NonScalarOutputError, 'hessian:');
    expectError(() => J.grad(bad(() => 5))(x()), J.TraceError, 'grad:');
    expectError(() => J.unsqueeze(x(), 7), J.AxisError, 'unsqueeze:');
    expectError(() => x().unsqueeze(7), J.AxisError, 'unsqueeze:');
    expectError(() => J.stack([x(), x()], 5), J.AxisError, 'stack:');
    expect(expectError(() => J.zerosLike(bad(5)), J.ArgumentError, 'zerosLike:').message).toBe('zerosLike: expected a Tensor for x, got 5');
  });
  it('setters check their values', () => {
    const t = tensor([1, 2], { requiresGrad: true });
    expectError(() => (t.requiresGrad = bad('yes')), J.ArgumentError, 'requiresGrad:');
    expectError(() => (t.grad = bad([1, 2])), J.ArgumentError, 'grad:');
    expect(t.requiresGrad).toBe(true);
    expect(t.grad).toBe(null);
  });
});

describe('8. silent wrong results', () => {
  const backends = (): [string, J.Backend | string][] => [
    ['js', 'js'],
    // Small arrays would go to the JS fallback: force the WASM kernels themselves.
    ['wasm', createWasmBackend({ threads: 1, smallToFallback: false })],
  ];
  it.each(backends())('argmax gives the index of the first NaN, as NumPy (%s kernels)', (_, backend) => {
    J.setBackend(backend);
    expect(J.argmax(tensor([1, Number.NaN, 3, Number.NaN])).item()).toBe(1);
    const m = tensor([
      [1, 5, 2],
      [Number.NaN, 0, Number.NaN],
      [7, 7, Number.NaN],
    ]);
    expect(J.argmax(m, 1).toArray()).toEqual([1, 0, 2]);
    expect(J.argmax(m, 0).toArray()).toEqual([1, 2, 1]);
    expect(J.argmax(tensor([3, 1, 3])).item()).toBe(0);
  });
  it('grad refuses repeated argnums', () => {
    const f = (a: J.Tensor, b: J.Tensor) => a.mul(b).sum();
    expectError(() => J.grad(f, { argnums: [0, 0] }), J.ArgumentError, 'grad:');
    expectError(() => J.valueAndGrad(f, { argnums: [1, 1] }), J.ArgumentError, 'valueAndGrad:');
    const [ga, gb] = J.grad(f, { argnums: [1, 0] })(tensor([2]), tensor([3]));
    expect([ga!.item(), gb!.item()]).toEqual([2, 3]);
  });
  it('rng takes any safe integer seed, each its own stream, and refuses the rest', () => {
    const first = (seed: number) => J.rng(seed).uniform();
    expectError(() => J.rng(0.5), J.ArgumentError, 'rng:');
    expectError(() => J.rng(1e300), J.ArgumentError, 'rng:');
    expectError(() => J.rng(Number.NaN), J.ArgumentError, 'rng:');
    expectError(() => J.rng(bad('1')), J.ArgumentError, 'rng:');
    const seeds = [0, 1, -1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1)];
    expect(new Set(seeds.map(first)).size).toBe(seeds.length);
    expect(first(2 ** 32)).toBe(J.rng(2 ** 32).uniform());
    expectError(() => J.gradcheck((t: J.Tensor) => t.sum(), [x()], { seed: 0.5 }), J.ArgumentError, 'gradcheck:');
  });
  it('logSumExp of a row of −∞ is −∞, of a row with +∞ is +∞, and of an empty axis −∞', () => {
    const inf = Number.POSITIVE_INFINITY;
    expect(J.logSumExp(tensor([-inf, -inf])).item()).toBe(-inf);
    expect(J.logSumExp(tensor([1, inf])).item()).toBe(inf);
    expect(
      J.logSumExp(
        tensor([
          [-inf, -inf],
          [0, 0],
        ]),
        1,
      ).toArray(),
    ).toEqual([-inf, Math.fround(Math.LN2)]);
    expect(J.logSumExp(J.zeros([2, 0]), 1).toArray()).toEqual([-inf, -inf]);
  });
  it('logSoftmax over an empty axis is empty, as softmax is', () => {
    expect(J.logSoftmax(J.zeros([2, 0])).shape).toEqual([2, 0]);
    expect(J.softmax(J.zeros([2, 0])).shape).toEqual([2, 0]);
  });
  it('index bounds are decimal integers only', () => {
    expectError(() => x().index(0, '0x1:'), J.ArgumentError, 'index:');
    expectError(() => x().index(0, '1e0:'), J.ArgumentError, 'index:');
    expectError(() => x().index(0, '1.0:'), J.ArgumentError, 'index:');
    expect(x().index(0, ' 1 : -0 : ').toArray()).toEqual([]);
    expect(x().index(0, '-2:').toArray()).toEqual([2, 3]);
  });
  it('keepdims must be a boolean', () => {
    expectError(() => J.sum(x(), 0, bad('yes')), J.ArgumentError, 'sum:');
    expectError(() => x().max(0, bad(1)), J.ArgumentError, 'max:');
    expectError(() => J.argmax(x(), 0, bad('no')), J.ArgumentError, 'argmax:');
  });
  it('gradcheck refuses a zero, negative or non-finite step and negative tolerances', () => {
    const f = (t: J.Tensor) => t.sum();
    for (const eps of [0, -1e-6, Number.NaN, Number.POSITIVE_INFINITY])
      expectError(() => J.gradcheck(f, [x()], { eps }), J.ArgumentError, 'gradcheck:');
    expectError(() => J.gradcheck(f, [x()], { atol: -1 }), J.ArgumentError, 'gradcheck:');
    expectError(() => J.gradcheck(f, [x()], { rtol: Number.NaN }), J.ArgumentError, 'gradcheck:');
  });
});

describe('9. bounded work', () => {
  it('toDot and toMermaid render a graph far deeper than the call stack', () => {
    const w = tensor([1], { requiresGrad: true });
    let y = w;
    for (let i = 0; i < 20_000; i++) y = y.add(1);
    const dot = J.toDot(y);
    expect(dot.split('\n').length).toBe(2 * 20_001 - 1 + 3);
    expect(J.toMermaid(y).split('\n').length).toBe(2 * 20_001);
  });
  it('toString summarises tensors of more than 1000 elements, as NumPy', () => {
    expect(J.arange(1000).toString()).not.toContain('...');
    expect(J.arange(1001).toString()).toBe('tensor([   0.,    1.,    2., ...,  998.,  999., 1000.])');
    const big = J.randn([4e6]).toString();
    expect(big.length).toBeLessThan(120);
    expect(big).toMatch(/^tensor\(\[.*, \.\.\., .*\]\)$/);
    expect(J.arange(20).reshape([4, 5]).toString()).toBe(
      'tensor([[ 0.,  1.,  2.,  3.,  4.],\n        [ 5.,  6.,  7.,  8.,  9.],\n        [10., 11., 12., 13., 14.],\n        [15., 16., 17., 18., 19.]])',
    );
    expect(J.formatTensor(J.arange(20).reshape([4, 5]), { threshold: 10, edgeItems: 1 })).toBe(
      'tensor([[ 0., ...,  4.],\n        ...,\n        [15., ..., 19.]])',
    );
    expect(J.formatTensor(J.arange(1001), { threshold: Number.POSITIVE_INFINITY })).not.toContain('...');
    expectError(() => J.formatTensor(x(), { edgeItems: 0 }), J.ArgumentError, 'formatTensor:');
    expectError(() => J.formatTensor(x(), { threshold: -1 }), J.ArgumentError, 'formatTensor:');
  });
  it('a summarised view reads the right elements (a transposed slice)', () => {
    const v = J.arange(3000).reshape([3, 1000]).T.index('1:');
    expect(v.toString()).toBe(
      'tensor([[   1., 1001., 2001.],\n        [   2., 1002., 2002.],\n        [   3., 1003., 2003.],\n        ...,\n        [ 997., 1997., 2997.],\n        [ 998., 1998., 2998.],\n        [ 999., 1999., 2999.]])',
    );
  });
  it('console.log in Node prints the NumPy-style text, not the internals', () => {
    const t = x();
    expect(inspect(t)).toBe(t.toString());
    expect(inspect({ t })).toContain('tensor([[1., 2., 3.]');
  });
});
