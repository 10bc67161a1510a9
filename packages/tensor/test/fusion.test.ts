// jit's fused elementwise steps (staging/plan.ts, the backends' fused kernels): a replay that
// runs chains of elementwise equations as one kernel gives the eager (unfused) result bit for
// bit, in float32 and float64, on both backends, at sizes on both sides of the WASM backend's
// thresholds, over broadcast operands and NaN, ±0 and ±Inf; and the fused steps do run.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getBackend, jit, setBackend, tensor, type DType, type Tensor } from '@jacobi/tensor';
import { fusedStepsRun } from '../src/core/fused.js';
import { compiledFusedKernels } from '../src/backend/fused-js.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { seededUniform, threadedBackend } from './kernel-support.js';

const initial = getBackend();
afterEach(() => setBackend(initial));

/** Bit-for-bit equality (NaN equal to NaN, 0 not −0). */
function expectSame(got: Tensor, want: Tensor, label: string): void {
  expect(`${got.dtype}[${got.shape}]`, label).toBe(`${want.dtype}[${want.shape}]`);
  const [a, b] = [got.data(), want.data()];
  for (let i = 0; i < b.length; i++) if (!Object.is(a[i], b[i])) throw new Error(`${label} [${i}]: ${a[i]} vs ${b[i]}`);
}

const SPECIAL = [Number.NaN, 0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1, -1, 0.5];

/** `n` values: mostly uniform in [-3, 3), some special ones. */
function values(n: number, rand: () => number): number[] {
  return Array.from({ length: n }, () => (rand() < 0.1 ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : rand() * 6 - 3));
}

type Op = (xs: readonly Tensor[], pick: () => Tensor, rand: () => number) => Tensor;
const UNARY = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'abs',
  'tanh',
  'sigmoid',
  'sin',
  'cos',
  'floor',
  'round',
  'erf',
  'log1p',
  'atan',
  'sign',
] as const;
const BINARY = ['add', 'sub', 'mul', 'div', 'maximum', 'pow', 'atan2', 'hypot', 'copysign'] as const;
const COMPARE = ['greater', 'less', 'equal', 'lessEqual'] as const;
const OPS: Op[] = [
  (_, pick, rand) => pick()[UNARY[Math.floor(rand() * UNARY.length)]!](),
  (_, pick, rand) => pick()[BINARY[Math.floor(rand() * BINARY.length)]!](pick()),
  (_, pick) => pick().add(1.5),
  (_, pick) => pick().mul(-0.25),
  (_, pick, rand) => pick()[COMPARE[Math.floor(rand() * COMPARE.length)]!](pick()).where(pick(), pick()),
  (_, pick) => {
    const x = pick();
    return x
      .astype(x.dtype === 'float32' ? 'float64' : 'float32')
      .exp()
      .astype(x.dtype);
  },
  (_, pick) => pick().greater(0).astype(pick().dtype).mul(pick()),
  (_, pick) => pick().where(pick(), pick()),
];

/** Operand shapes broadcast against `shape`: the whole shape, a trailing row, a column, a scalar. */
function operandShapes(shape: readonly number[], rand: () => number): number[][] {
  const [rows, cols] = shape as [number, number];
  const choices = [[rows, cols], [cols], [rows, 1], [], [1, cols]];
  return [[rows, cols], ...Array.from({ length: 1 + Math.floor(rand() * 3) }, () => choices[Math.floor(rand() * choices.length)]!)];
}

// What the WASM backend's SIMD fused kernel covers: exact IEEE operations, the float32-lane
// approximations, comparisons as conditions of where.
const SIMD_UNARY = ['neg', 'abs', 'sqrt', 'exp', 'log', 'tanh', 'sigmoid'] as const;
const SIMD_BINARY = ['add', 'sub', 'mul', 'div', 'maximum'] as const;
const SIMD_OPS: Op[] = [
  (_, pick, rand) => pick()[SIMD_UNARY[Math.floor(rand() * SIMD_UNARY.length)]!](),
  (_, pick, rand) => pick()[SIMD_BINARY[Math.floor(rand() * SIMD_BINARY.length)]!](pick()),
  (_, pick) => pick().mul(-0.25),
  (_, pick, rand) => pick()[COMPARE[Math.floor(rand() * COMPARE.length)]!](pick()).where(pick(), pick()),
  // A float condition: "not zero" (NaN true, −0 false).
  (_, pick) => pick().where(pick(), pick()),
];

/** A random chain of `ops` over the inputs (each step reads the last result or an input). */
function randomChain(seed: number, inputs: number, ops: readonly Op[] = OPS): (...xs: Tensor[]) => Tensor {
  return (...xs: Tensor[]) => {
    const rand = seededUniform(seed);
    const pool: Tensor[] = [...xs];
    const pick = (): Tensor => (rand() < 0.5 ? pool[pool.length - 1]! : pool[Math.floor(rand() * pool.length)]!);
    const length = 2 + Math.floor(rand() * 6);
    for (let k = 0; k < length; k++) pool.push(ops[Math.floor(rand() * ops.length)]!(pool, pick, rand));
    return pool[pool.length - 1]!.add(pool[inputs]!);
  };
}

// Element counts around the WASM backend's thresholds (64 and 128 for transcendental functions, 512 for the rest).
const SIZES: [number, number][] = [
  [1, 7],
  [3, 21],
  [8, 8],
  [4, 32],
  [2, 65],
  [16, 33],
  [1, 511],
  [32, 17],
  [64, 40],
];

/**
 * Runs `cases` random chains (operand shapes from `shapesOf`, ops from `ops`), each jitted and
 * replayed, against eager evaluation bit for bit; returns how many replays ran a fused step.
 */
function checkChains(
  label: string,
  cases: number,
  salt: number,
  ops: readonly Op[],
  shapesOf: (seed: number, rand: () => number) => number[][],
): number {
  let fusedCases = 0;
  for (let seed = 1; seed <= cases; seed++) {
    const rand = seededUniform(seed * salt);
    const dtype: DType = rand() < 0.5 ? 'float32' : 'float64';
    const shapes = shapesOf(seed, rand);
    const xs = shapes.map((s) =>
      tensor(
        values(
          s.reduce((a, b) => a * b, 1),
          rand,
        ),
        { dtype },
      ).reshape(s),
    );
    const f = randomChain(seed, xs.length, ops);
    const jf = jit(f);
    const want = f(...xs);
    jf(...xs);
    const runs = fusedStepsRun();
    const got = jf(...xs);
    if (fusedStepsRun() > runs) fusedCases++;
    expectSame(got, want, `seed ${seed} ${dtype}[${shapes[0]}] ${label}`);
  }
  return fusedCases;
}

// Shapes with partial vectors at the end, around the fused family's threshold (KERNEL_FAMILIES.fused, 384), and large; rows of 16 or more
// are staged chunk by chunk, shorter ones go to the JS loop.
const SIMD_SHAPES = [
  [1, 3],
  [1, 61],
  [2, 65],
  [7, 73],
  [3, 171],
  [8, 125],
  [1, 4099],
  [32, 17],
  [64, 8],
];

describe('fused elementwise steps', () => {
  for (const backend of ['js', 'wasm']) {
    it(`equal the unfused equations bit for bit on random chains (${backend})`, () => {
      setBackend(backend);
      const fused = checkChains(backend, 120, 7919, OPS, (seed, rand) => operandShapes(SIZES[seed % SIZES.length]!, rand));
      // Most chains have a group of two or more elementwise equations.
      expect(fused).toBeGreaterThan(60);
    });
  }

  const wide: [string, () => void][] = [
    ['wasm', () => setBackend('wasm')],
    ['wasm, every size in SIMD', () => setBackend(createWasmBackend({ smallToFallback: false, threads: 1 }))],
  ];
  for (const [name, use] of wide) {
    it(`equal the unfused equations bit for bit in the SIMD fused kernel (${name})`, () => {
      use();
      const fused = checkChains(name, 80, 104729, SIMD_OPS, (seed, rand) => {
        const shape = SIMD_SHAPES[seed % SIMD_SHAPES.length]!;
        // Whole operands, repeated rows and scalars.
        const other = (): number[] => (rand() < 0.5 ? shape : rand() < 0.5 ? [shape[1]!] : []);
        return [shape, ...Array.from({ length: 1 + Math.floor(rand() * 3) }, other)];
      });
      expect(fused).toBeGreaterThan(50);
    });
  }

  // On wasm, float32 tanh of a thousand elements is the SIMD approximation: no JS loop reproduces
  // it, so only the SIMD fused kernel can run the step. On js, the generated JS loop runs.
  for (const [backend, n] of [
    ['wasm', 1001],
    ['js', 6],
  ] as const) {
    it(`run tanh(a*b + c) as one step (${backend}, ${n} elements)`, () => {
      setBackend(backend);
      const f = jit((a: Tensor, b: Tensor, c: Tensor) => a.mul(b).add(c).tanh());
      const r = seededUniform(5);
      const [a, b, c] = [0, 1, 2].map(() => tensor(values(n, r)));
      const want = a!.mul(b!).add(c!).tanh();
      f(a!, b!, c!);
      const before = fusedStepsRun();
      expectSame(f(a!, b!, c!), want, `tanh(a*b+c) ${backend}`);
      expect(fusedStepsRun() - before).toBe(1);
    });
  }

  it('compile one JS loop per expression structure, and run unfused where the host forbids generating code', () => {
    setBackend('js');
    const chain = (a: Tensor, b: Tensor) => a.mul(b).sub(b).abs();
    const [a, b] = [tensor([1, -2, 3]), tensor([0.5, Number.NaN, -0])];
    const want = chain(a, b);
    const first = jit(chain);
    first(a, b);
    first(a, b);
    const compiled = compiledFusedKernels();
    const second = jit(chain);
    second(a, b);
    expectSame(second(a, b), want, 'same structure');
    expect(compiledFusedKernels()).toBe(compiled);
    // A page whose Content-Security-Policy forbids eval: `new Function` throws an EvalError.
    vi.stubGlobal(
      'Function',
      class {
        constructor() {
          throw new EvalError('Refused to evaluate a string as JavaScript');
        }
      },
    );
    try {
      const other = jit((x: Tensor, y: Tensor) => x.add(y).mul(y).neg());
      other(a, b);
      const before = fusedStepsRun();
      expectSame(other(a, b), a.add(b).mul(b).neg(), 'without eval');
      expect(fusedStepsRun()).toBe(before);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('keep an intermediate that is an output, or read twice outside the group, as its own result', () => {
    setBackend('js');
    const x = tensor([1, 2, 3, -4]);
    const twoOutputs = jit((v: Tensor) => {
      const y = v.mul(2);
      return [y, y.add(1)];
    });
    twoOutputs(x);
    const before = fusedStepsRun();
    const [y, z] = twoOutputs(x);
    expect(fusedStepsRun()).toBe(before);
    expect([...y!.data()]).toEqual([2, 4, 6, -8]);
    expect([...z!.data()]).toEqual([3, 5, 7, -7]);
  });

  it('fuse the chain that feeds a reduction, which stays its own step', () => {
    setBackend('js');
    const x = tensor([0.5, -1, 2], { dtype: 'float64' });
    const f = jit((v: Tensor) => v.mul(v).add(1).log().sum());
    f(x);
    const before = fusedStepsRun();
    expect(f(x).item()).toBeCloseTo(Math.log(1.25) + Math.log(2) + Math.log(5), 12);
    expect(fusedStepsRun()).toBe(before + 1);
  });
});

// Large fused kernels whose operands have resident copies in the threads' memory run split
// across the threads (backend/wasm/parallel-fused.ts). The sizes here stay under the 256 KiB
// floor of the instance's own copies, so copies held (residentCopyBytes) are the threads' ones:
// they grow only where a call took the split path.
describe('fused elementwise kernels split across threads', () => {
  const { backend: threaded, threads } = threadedBackend({ threads: 2, fusedThreadThreshold: 1 });
  const single = createWasmBackend({ threads: 1 });

  /** `f` eagerly on the single-threaded backend and, `calls` times, on the threaded one, compared bit for bit. */
  function compare(f: () => Tensor, calls: number, label: string): void {
    setBackend(single);
    const want = f();
    setBackend(threaded);
    for (let call = 0; call < calls; call++) expectSame(f(), want, `${label}, call ${call}`);
  }

  it('starts its workers', () => {
    expect(threads()).toBe(2);
  });

  /**
   * A random chain of SIMD_OPS' unary and arithmetic steps, each reading the last result once
   * and otherwise inputs: one deferred expression. (An intermediate read twice is computed as a
   * kernel of its own, and so is a comparison eagerly: their results are fresh arrays, with no
   * copies. jit fuses comparisons into the chain: see the replays below.)
   */
  const EAGER_OPS = SIMD_OPS.slice(0, 3);
  function linearChain(seed: number): (...xs: Tensor[]) => Tensor {
    return (...xs: Tensor[]) => {
      const rand = seededUniform(seed);
      let last = xs[0]!;
      for (let k = 0, length = 2 + Math.floor(rand() * 5); k < length; k++) {
        let first = true;
        const pick = (): Tensor => {
          if (!first) return xs[Math.floor(rand() * xs.length)]!;
          first = false;
          return last;
        };
        last = EAGER_OPS[Math.floor(rand() * EAGER_OPS.length)]!(xs, pick, rand);
      }
      return last;
    };
  }

  it('equal the single-threaded kernel bit for bit on random chains, float32 and float64', () => {
    // Two to four units (4,096 vectors each), the last one short, with a partial last vector.
    const lengths = [16387, 24577, 32001];
    const split = { float32: 0, float64: 0 };
    const cases = { float32: 0, float64: 0 };
    for (let seed = 1; seed <= 30; seed++) {
      const rand = seededUniform(seed * 7411);
      const dtype = rand() < 0.5 ? 'float32' : 'float64';
      const n = lengths[seed % lengths.length]!;
      // Whole operands and scalars: the split path reads no repeated rows.
      const shapes = [[n], ...Array.from({ length: 1 + Math.floor(rand() * 3) }, () => (rand() < 0.7 ? [n] : []))];
      const xs = shapes.map((s) => tensor(values(s.length === 0 ? 1 : n, rand), { dtype }).reshape(s));
      const f = linearChain(seed);
      const held = threaded.residentCopyBytes();
      // Copies are made at an array's third read: calls 0 and 1 run on one thread, the rest split.
      compare(() => f(...xs).realize(), 4, `seed ${seed} ${dtype}[${n}]`);
      cases[dtype]++;
      if (threaded.residentCopyBytes() > held) split[dtype]++;
    }
    // Every float32 chain is one SIMD kernel; in float64 exp, log, tanh and sigmoid are not (those chains run unfused).
    expect(split.float32).toBe(cases.float32);
    expect(split.float64).toBeGreaterThan(0);
  });

  it('read the copies in the threads memory once made', () => {
    // White-box, as in resident-copies.test.ts: an operand written behind the library's back
    // keeps its old values for a kernel that reads its copy, not for one that stages it.
    const [a, b, c] = [1, 2, 3].map((s) => tensor(values(16387, seededUniform(s))));
    const chain = (): Tensor => a!.mul(b!).add(c!).tanh().realize();
    compare(chain, 4, 'tanh(a*b + c)');
    const before = chain();
    a!._view.data.fill(0);
    expectSame(chain(), before, 'after writing a behind the copies');
    setBackend(single);
    expect(chain().data()[0]).not.toBe(before.data()[0]);
  });

  it('stay on one thread, copying nothing, when an operand is made afresh at each call', () => {
    const [a, b, c] = [4, 5, 6].map((s) => tensor(values(16387, seededUniform(s))));
    const held = threaded.residentCopyBytes();
    compare(() => a!.mul(b!).add(c!.mul(1).realize()).tanh().realize(), 5, 'one fresh operand');
    expect(threaded.residentCopyBytes()).toBe(held);
  });

  it('split jit replays that read their inputs where they are, comparisons fused', () => {
    const g = (x: Tensor, y: Tensor): Tensor => x.greater(y).where(x.sigmoid(), y.mul(-0.5));
    const f = jit(g);
    const [x, y] = [7, 8].map((s) => tensor(values(24577, seededUniform(s)), { dtype: 'float32' }));
    setBackend(single);
    const want = g(x!, y!);
    setBackend(threaded);
    const held = threaded.residentCopyBytes();
    for (let call = 0; call < 4; call++) expectSame(f(x!, y!), want, `replay ${call}`);
    expect(threaded.residentCopyBytes()).toBe(held + 2 * 24577 * 4);
  });

  it('checks fusedThreadThreshold', () => {
    for (const bad of [-1, Number.NaN, '1' as unknown as number])
      expect(() => createWasmBackend({ fusedThreadThreshold: bad })).toThrow(/createWasmBackend.*fusedThreadThreshold/);
  });
});
