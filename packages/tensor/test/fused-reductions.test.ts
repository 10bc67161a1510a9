// Fused kernels that end in a reduction (FusedExpression.reduction): a sum or max over trailing
// axes of an elementwise chain, run by the WASM backend as one pass whose elementwise values
// never leave linear memory (runFusedReduced), in jit's plan and in eager code (a reduction of a
// pending tensor). The result must be the unfused one bit for bit: the chain's values reduced by
// `Backend.reduce`, in its chunks and order, including rows longer than a chunk.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getBackend, jit, setBackend, tensor, valueAndGrad, type DType, type Tensor } from '@jacobi/tensor';
import { activeBackend } from '../src/backend/registry.js';
import type { FusedExpression } from '../src/backend/backend.js';
import { setDeferring } from '../src/core/deferred.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { seededUniform, threadedBackend } from './kernel-support.js';

const initial = getBackend();
afterEach(() => {
  setDeferring(true);
  vi.restoreAllMocks();
  setBackend(initial);
});

/** Bit-for-bit equality (NaN equal to NaN, 0 not −0). */
function expectSame(got: Tensor, want: Tensor, label: string): void {
  expect(`${got.dtype}[${got.shape}]`, label).toBe(`${want.dtype}[${want.shape}]`);
  const [a, b] = [got.data(), want.data()];
  for (let i = 0; i < b.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`${label} [${i}]: ${a[i]} vs ${b[i]}`);
}

/** Counts the fused runs of the active backend that ended in a reduction and did not decline. */
function countReducedRuns(): { readonly count: () => number } {
  const kernels = activeBackend().fused!;
  const run = kernels.run.bind(kernels);
  let n = 0;
  vi.spyOn(kernels, 'run').mockImplementation((expr: FusedExpression, ...rest) => {
    const ran = run(expr, ...rest);
    if (ran && expr.reduction !== undefined) n++;
    return ran;
  });
  return { count: () => n };
}

const SPECIAL = [Number.NaN, 0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1, -1, 0.5];
/** `n` values uniform in [-3, 3), a fraction `special` of them NaN, ±0, ±Inf or ±1 (one NaN makes a whole row's sum NaN). */
const values = (n: number, rand: () => number, special = 0): number[] =>
  Array.from({ length: n }, () => (rand() < special ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : rand() * 6 - 3));

// What the WASM backend's SIMD fused kernel covers (see fusion.test.ts).
const UNARY = ['neg', 'abs', 'sqrt', 'exp', 'log', 'tanh', 'sigmoid', 'square'] as const;
const BINARY = ['add', 'sub', 'mul', 'div', 'maximum'] as const;

/** A random elementwise chain over `xs` (2-6 steps, each reading the last result or an input, then a product with the first). */
function chain(seed: number, xs: readonly Tensor[]): Tensor {
  const rand = seededUniform(seed);
  const pool = [...xs];
  const pick = (): Tensor => (rand() < 0.5 ? pool[pool.length - 1]! : pool[Math.floor(rand() * pool.length)]!);
  const steps = 2 + Math.floor(rand() * 5);
  for (let k = 0; k < steps; k++) {
    const r = rand();
    if (r < 0.4) pool.push(pick()[UNARY[Math.floor(rand() * UNARY.length)]!]());
    else if (r < 0.85) pool.push(pick()[BINARY[Math.floor(rand() * BINARY.length)]!](pick()));
    else pool.push(pick().greater(pick()).where(pick(), pick()));
  }
  // The first input has the whole shape, so the result does too.
  return pool[pool.length - 1]!.mul(xs[0]!);
}

// Shapes around the row reduction's threshold (128 elements) and its chunk (16,384 elements):
// one short row, many rows per chunk, rows that do not fill a chunk, a row longer than a chunk,
// partial vectors everywhere.
const SHAPES: number[][] = [
  [2, 63],
  [3, 50],
  [300, 71],
  [7, 3, 333],
  [2, 20001],
  [1, 16384],
  [5, 4099],
  [129, 129],
];

interface Case {
  readonly f: (...xs: Tensor[]) => Tensor;
  readonly xs: Tensor[];
  readonly label: string;
}

function randomCase(seed: number): Case {
  const rand = seededUniform(seed * 7927);
  const dtype: DType = rand() < 0.7 ? 'float32' : 'float64';
  const shape = SHAPES[seed % SHAPES.length]!;
  const size = shape.reduce((a, b) => a * b, 1);
  const last = shape[shape.length - 1]!;
  // Whole operands, a repeated row (broadcast over the leading axes) and a scalar.
  const shapes = [shape, ...Array.from({ length: 1 + Math.floor(rand() * 2) }, () => (rand() < 0.6 ? shape : rand() < 0.5 ? [last] : []))];
  // Special values in a quarter of the cases only: elsewhere every row's reduction is finite.
  const special = rand() < 0.25 ? 0.02 : 0;
  const xs = shapes.map((s) => tensor(values(s.length === 0 ? 1 : s === shape ? size : last, rand, special), { dtype }).reshape(s));
  const op = rand() < 0.6 ? 'sum' : 'max';
  const axes = rand() < 0.5 || shape.length === 2 ? [shape.length - 1] : [shape.length - 2, shape.length - 1];
  const keepdims = rand() < 0.3;
  const f = (...ys: Tensor[]): Tensor => {
    const y = chain(seed, ys);
    return op === 'sum' ? y.sum(axes, keepdims) : y.max(axes, keepdims);
  };
  return { f, xs, label: `seed ${seed} ${dtype}[${shape}] ${op}(${axes}${keepdims ? ', keepdims' : ''})` };
}

/** The unfused result: nothing deferred, every equation its own kernel. */
function unfused({ f, xs }: Case): Tensor {
  setDeferring(false);
  try {
    return f(...xs);
  } finally {
    setDeferring(true);
  }
}

const BACKENDS: [string, () => void][] = [
  ['wasm', () => setBackend('wasm')],
  // Fused kernels at every size (no JS loop below the fused family's threshold), one thread.
  ['wasm, every size in SIMD', () => setBackend(createWasmBackend({ smallToFallback: false, threads: 1 }))],
];

describe('fused kernels that end in a reduction', () => {
  for (const [name, use] of BACKENDS) {
    it(`equal the unfused reduction bit for bit, eager and under jit (${name})`, () => {
      use();
      const reduced = countReducedRuns();
      let eagerFused = 0;
      let jitFused = 0;
      for (let seed = 1; seed <= 48; seed++) {
        const c = randomCase(seed);
        const want = unfused(c);
        let before = reduced.count();
        expectSame(c.f(...c.xs), want, `${c.label} eager`);
        if (reduced.count() > before) eagerFused++;
        const jf = jit(c.f);
        jf(...c.xs);
        before = reduced.count();
        for (let call = 0; call < 3; call++) expectSame(jf(...c.xs), want, `${c.label} jit call ${call + 2}`);
        if (reduced.count() > before) jitFused++;
      }
      // Most cases fuse (the rest: float64 functions without a SIMD form, sizes below the threshold).
      expect(eagerFused).toBeGreaterThan(20);
      expect(jitFused).toBeGreaterThan(20);
    });
  }

  it('give jit the same values and gradients as eager code, where the loss is a fused reduction', () => {
    setBackend('wasm');
    const rand = seededUniform(11);
    const x = tensor(values(64 * 96, rand)).reshape([64, 96]);
    const t = tensor(values(64 * 96, rand)).reshape([64, 96]);
    const loss = (w: Tensor): Tensor => x.mul(w).tanh().sub(t).square().sum().mul(0.5);
    const w = tensor(values(96, rand));
    const [wantValue, wantGrad] = valueAndGrad(loss)(w);
    const step = jit(valueAndGrad(loss));
    step(w);
    const reduced = countReducedRuns();
    for (let call = 0; call < 3; call++) {
      const [value, grad] = step(w);
      expectSame(value, wantValue, `value, call ${call + 2}`);
      expectSame(grad, wantGrad, `gradient, call ${call + 2}`);
    }
    expect(reduced.count()).toBeGreaterThan(0);
  });

  it('leave a pending operand readable, with the value it would have had', () => {
    setBackend('wasm');
    const rand = seededUniform(3);
    const [a, b] = [0, 1].map(() => tensor(values(4096, rand)));
    const y = a!.mul(b!).add(1).abs();
    const total = y.sum();
    setDeferring(false);
    const want = a!.mul(b!).add(1).abs();
    expectSame(total, want.sum(), 'sum');
    setDeferring(true);
    // y was reduced in one fused kernel and never computed; reading it computes it now.
    expectSame(y, want, 'the pending operand');
    expectSame(y.max(), want.max(), 'a second reduction of it');
  });

  it('are planned only where the backend reproduces the reduction, and end their group', () => {
    setBackend('wasm');
    const x = tensor(values(4096, seededUniform(5))).reshape([64, 64]);
    /** The fused kernels the first two calls of jit(f) ask for: '' for one without a reduction. */
    const fusedRuns = (f: (v: Tensor) => Tensor, arg: Tensor = x): string[] => {
      const kernels = activeBackend().fused!;
      const run = kernels.run.bind(kernels);
      const seen = new Set<string>();
      const spy = vi.spyOn(kernels, 'run').mockImplementation((expr: FusedExpression, ...rest) => {
        seen.add(expr.reduction ? `${expr.reduction.op}(${expr.reduction.axes})` : '');
        return run(expr, ...rest);
      });
      const jf = jit(f);
      jf(arg);
      jf(arg);
      spy.mockRestore();
      return [...seen];
    };
    expect(fusedRuns((v) => v.mul(v).add(1).sum(1))).toEqual(['sum(1)']);
    expect(fusedRuns((v) => v.mul(v).add(1).max())).toEqual(['max(2)']);
    // A leading axis is not a row reduction; the reduced value is nobody's operand in the group.
    expect(fusedRuns((v) => v.mul(v).add(1).sum(0))).toEqual(['']);
    expect(fusedRuns((v) => v.mul(v).add(1).sum(1).mul(v.sum(1)))).toEqual(['sum(1)']);
    // An intermediate the program returns is not reduced inside the group.
    expect(fusedRuns((v) => v.mul(v).add(1).sum(1).add(v.mul(v).add(1).max(1)))).toEqual(['sum(1)', 'max(1)']);
    // Below the row reduction's threshold (128 elements) the JS kernel reduces: not fused.
    expect(fusedRuns((v) => v.mul(v).add(1).sum(), tensor([1, 2, 3, 4]).reshape([2, 2]))).toEqual(['']);
    // The JS backend has no fused reductions.
    setBackend('js');
    expect(fusedRuns((v) => v.mul(v).add(1).sum(1))).toEqual(['']);
  });

  describe('split across the threads', () => {
    /**
     * A chain whose every step reads the last result once, and otherwise inputs: one pending
     * expression over the inputs (a value read twice would be computed on its own, into an array
     * made afresh at each call, which has no copy in the threads' memory: no split).
     */
    function linearChain(seed: number, xs: readonly Tensor[]): Tensor {
      const rand = seededUniform(seed);
      let last = xs[0]!;
      for (let k = 0, steps = 2 + Math.floor(rand() * 5); k < steps; k++) {
        const input = xs[Math.floor(rand() * xs.length)]!;
        last = rand() < 0.4 ? last[UNARY[Math.floor(rand() * UNARY.length)]!]() : last[BINARY[Math.floor(rand() * BINARY.length)]!](input);
      }
      return last;
    }

    // Every fused kernel split (from one element), and the row kernel run over the split result
    // where it lies in the threads' memory.
    const { backend: threaded, threads } = threadedBackend({ threads: 2, fusedThreadThreshold: 1 });
    const single = createWasmBackend({ threads: 1 });

    it('equal the unfused reduction on one thread bit for bit', () => {
      expect(threads()).toBe(2);
      const shapes = [[40001], [2, 20001], [64, 513], [3, 7, 1111]];
      let split = 0;
      let cases = 0;
      for (let seed = 1; seed <= 24; seed++) {
        const rand = seededUniform(seed * 6271);
        const dtype: DType = rand() < 0.75 ? 'float32' : 'float64';
        const shape = shapes[seed % shapes.length]!;
        const size = shape.reduce((a, b) => a * b, 1);
        // Whole operands and scalars: the split path reads no repeated rows.
        const xs = [shape, ...Array.from({ length: 1 + Math.floor(rand() * 2) }, () => (rand() < 0.7 ? shape : []))].map((s) =>
          tensor(values(s.length === 0 ? 1 : size, rand), { dtype }).reshape(s),
        );
        const op = rand() < 0.5 ? 'sum' : 'max';
        const axes = shape.length > 2 && rand() < 0.5 ? [shape.length - 2, shape.length - 1] : [shape.length - 1];
        const f = (): Tensor => {
          const y = linearChain(seed, xs);
          return op === 'sum' ? y.sum(axes) : y.max(axes);
        };
        setBackend(single);
        setDeferring(false);
        const want = f();
        setDeferring(true);
        setBackend(threaded);
        const held = threaded.residentCopyBytes();
        // Copies are made at an array's third read: calls 0 and 1 run on one thread, the rest split.
        for (let call = 0; call < 4; call++) expectSame(f(), want, `seed ${seed} ${dtype}[${shape}] ${op}(${axes}), call ${call}`);
        cases++;
        if (threaded.residentCopyBytes() > held) split++;
      }
      // float64 chains with exp, log, tanh or sigmoid have no SIMD kernel and run unfused.
      expect(split).toBeGreaterThan(cases / 2);
    });
  });
});
