// Property tests: every WASM kernel against the JS reference backend, over random shapes with
// odd sizes, edge tiles, block boundaries, transposed, padded, reversed and broadcast operands.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType, TypedArray } from '../src/dtype.js';
import type { StridedView } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { Arena } from '../src/backend/wasm/arena.js';
import { pushI32, pushU32 } from '../src/backend/wasm/emitter.js';
import { gemm, type GemmKernels } from '../src/backend/wasm/gemm.js';
import type { GemmShape } from '../src/backend/wasm/matmul-kernels.js';
import { buildKernelModule, GEMM_F32, GEMM_F32_NARROW, GEMM_F64 } from '../src/backend/wasm/module.js';
import { instantiate, type WasmMemory } from '../src/backend/wasm/wasm-api.js';
import { alloc, matrixView, randomArray, seededUniform, ulps32, type Layout } from './kernel-support.js';

// Every supported case in WASM, also tiny ones, so that the SIMD tails are what is tested.
const wasm = createWasmBackend({ smallToFallback: false });
const DTYPES: readonly DType[] = ['float32', 'float64'];

const rng = seededUniform;

const layouts: Layout[] = ['contiguous', 'transposed', 'padded', 'reversed'];

const absView = (v: StridedView): StridedView => ({ ...v, data: v.data.map(Math.abs) });

/** Checks `got` against the JS kernel, within `rel · Σ|a||b|` per entry (the GEMM error bound). */
function checkMatmul(
  dtype: DType,
  a: StridedView,
  b: StridedView,
  batch: number[],
  m: number,
  k: number,
  n: number,
  got: TypedArray,
): void {
  const size = batch.reduce((x, y) => x * y, 1) * m * n;
  const want = alloc(dtype, size);
  const bound = alloc('float64', size);
  jsBackend.matmul(a, b, batch, m, k, n, want);
  jsBackend.matmul(absView(a), absView(b), batch, m, k, n, bound);
  // float32: accumulation in float32 loses at most ~k half-ulps; float64 stays far below 1e-12.
  const rel = dtype === 'float32' ? 2 * (k + 2) * 2 ** -24 : 1e-13;
  for (let i = 0; i < size; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= rel * bound[i]! + 1e-30)) {
      expect.fail(`entry ${i}: wasm ${got[i]} vs js ${want[i]} (bound ${rel * bound[i]!})`);
    }
  }
}

const matmulCase = fc.record({
  dtype: fc.constantFrom(...DTYPES),
  batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
  bcastA: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  bcastB: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  m: fc.integer({ min: 1, max: 37 }),
  k: fc.integer({ min: 1, max: 37 }),
  n: fc.integer({ min: 1, max: 37 }),
  layoutA: fc.constantFrom(...layouts),
  layoutB: fc.constantFrom(...layouts),
  seed: fc.integer({ min: 0, max: 1e9 }),
});

describe('wasm matmul', () => {
  it('matches the JS kernel on random shapes and layouts', () => {
    fc.assert(
      fc.property(matmulCase, ({ dtype, batch, bcastA, bcastB, m, k, n, layoutA, layoutB, seed }) => {
        const a = matrixView(dtype, batch, bcastA, m, k, layoutA, seed);
        const b = matrixView(dtype, batch, bcastB, k, n, layoutB, seed + 1);
        const out = alloc(dtype, batch.reduce((x, y) => x * y, 1) * m * n);
        wasm.matmul(a, b, batch, m, k, n, out);
        checkMatmul(dtype, a, b, batch, m, k, n, out);
      }),
      { numRuns: 300 },
    );
  });

  /** The GEMM exports of `ex` for `dtype`, with the register tile they were built with and these blocks. */
  type Fn = (...args: number[]) => void;
  const kernelsOf = (ex: Record<string, unknown>, dtype: DType, shape: GemmShape, blocks: readonly number[], suffix = ''): GemmKernels => {
    const t = (dtype === 'float64' ? 'f64' : 'f32') + suffix;
    return {
      dtype,
      shape,
      packA: ex[`pack_a_${t}`] as Fn,
      packB: ex[`pack_b_${t}`] as Fn,
      macro: ex[`macro_${t}`] as Fn,
      macroSet: ex[`macro_set_${t}`] as Fn,
      macroSetStridedA: ex[`macro_set_strided_a_${t}`] as Fn | undefined,
      compact: ex.compact as Fn,
      kc: blocks[0]!,
      mc: blocks[1]!,
      nc: blocks[2]!,
    };
  };
  const blocksArb = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 17 }));

  it('crosses every cache-block boundary (tiny blocks over the same kernels)', () => {
    const ex = instantiate(buildKernelModule(false));
    const arena = new Arena(ex.memory as WasmMemory);
    fc.assert(
      fc.property(matmulCase, blocksArb, (c, blocks) => {
        const a = matrixView(c.dtype, c.batch, c.bcastA, c.m, c.k, c.layoutA, c.seed);
        const b = matrixView(c.dtype, c.batch, c.bcastB, c.k, c.n, c.layoutB, c.seed + 1);
        const out = alloc(c.dtype, c.batch.reduce((x, y) => x * y, 1) * c.m * c.n);
        const shape = c.dtype === 'float64' ? GEMM_F64 : GEMM_F32;
        gemm(arena, kernelsOf(ex, c.dtype, shape, blocks), a, b, c.batch, c.m, c.k, c.n, out);
        checkMatmul(c.dtype, a, b, c.batch, c.m, c.k, c.n, out);
      }),
      { numRuns: 300 },
    );
  });

  it('gives products at most 4 columns wide (the narrow float32 tile) the bits of the 4×8 tile', () => {
    // Both tiles sum a[i,p]·b[p,j] over ascending p in one accumulator per depth block, so the
    // results agree bit for bit, through the backend (which picks the narrow tile) and through
    // the driver with tiny blocks (every packer and macro-kernel edge of the narrow tile).
    const ex = instantiate(buildKernelModule(false));
    const arena = new Arena(ex.memory as WasmMemory);
    const narrowCase = fc.record({
      batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      bcastA: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      bcastB: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      m: fc.oneof(fc.integer({ min: 1, max: 41 }), fc.constantFrom(150, 151, 257)),
      k: fc.oneof(fc.integer({ min: 1, max: 41 }), fc.constantFrom(150, 257, 301)),
      n: fc.integer({ min: 1, max: 4 }),
      layoutA: fc.constantFrom(...layouts),
      layoutB: fc.constantFrom(...layouts),
      seed: fc.integer({ min: 0, max: 1e9 }),
    });
    fc.assert(
      fc.property(narrowCase, blocksArb, ({ batch, bcastA, bcastB, m, k, n, layoutA, layoutB, seed }, blocks) => {
        const a = matrixView('float32', batch, bcastA, m, k, layoutA, seed);
        const b = matrixView('float32', batch, bcastB, k, n, layoutB, seed + 1);
        const size = batch.reduce((x, y) => x * y, 1) * m * n;
        const [wide, viaBackend] = [new Float32Array(size), new Float32Array(size)];
        const [tinyWide, tinyNarrow] = [new Float32Array(size), new Float32Array(size)];
        gemm(arena, kernelsOf(ex, 'float32', GEMM_F32, [256, 128, 4096]), a, b, batch, m, k, n, wide);
        wasm.matmul(a, b, batch, m, k, n, viaBackend);
        gemm(arena, kernelsOf(ex, 'float32', GEMM_F32, blocks), a, b, batch, m, k, n, tinyWide);
        gemm(arena, kernelsOf(ex, 'float32', GEMM_F32_NARROW, blocks, '_narrow'), a, b, batch, m, k, n, tinyNarrow);
        checkMatmul('float32', a, b, batch, m, k, n, viaBackend);
        for (let i = 0; i < size; i++) {
          if (!Object.is(viaBackend[i], wide[i]) || !Object.is(tinyNarrow[i], tinyWide[i])) {
            expect.fail(`entry ${i} of ${m}x${k}x${n}: narrow ${viaBackend[i]} / ${tinyNarrow[i]} vs 4×8 ${wide[i]} / ${tinyWide[i]}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a row’s infinities to that row, bit for bit like depth-blocked float32 sums', () => {
    // Padding lanes compute inf·0 = NaN: stores that run past a row's end (a C of one column
    // panel is kept at pitch n) must never leave it where a later depth block adds it to a
    // neighbour. The reference sums each depth block from 0 in float32 and adds the blocks in
    // order, the kernels' exact arithmetic.
    const ex = instantiate(buildKernelModule(false));
    const arena = new Arena(ex.memory as WasmMemory);
    const tiles: [GemmShape, string][] = [
      [GEMM_F32, ''],
      [GEMM_F32_NARROW, '_narrow'],
    ];
    const dims = fc.tuple(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 9 }));
    fc.assert(
      fc.property(
        dims,
        fc.integer({ min: 1, max: 20 }),
        fc.nat(tiles.length - 1),
        fc.constantFrom(...layouts),
        fc.nat(),
        ([m, k, n], kc, t, layout, seed) => {
          // A read where it lies (one depth block, strides >= 0) or packed (reversed, or k > kc).
          const a = matrixView('float32', [], [], m, k, layout, seed);
          const b = { data: randomArray('float32', k * n, seed + 1), offset: 0, strides: [n, 1] };
          const at = (i: number, p: number): number => a.offset + i * a.strides[0]! + p * a.strides[1]!;
          a.data[at(seed % m, seed % k)] = seed % 2 ? Infinity : -Infinity;
          const out = new Float32Array(m * n);
          const [shape, suffix] = tiles[t]!;
          gemm(arena, kernelsOf(ex, 'float32', shape, [kc, 128, 4096], suffix), a, b, [], m, k, n, out);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let c = 0;
              for (let pc = 0; pc < k; pc += kc) {
                let sum = 0;
                for (let p = pc; p < Math.min(k, pc + kc); p++)
                  sum = Math.fround(sum + Math.fround(a.data[at(i, p)]! * b.data[p * n + j]!));
                c = pc === 0 ? sum : Math.fround(c + sum);
              }
              if (!Object.is(out[i * n + j], c)) expect.fail(`${m}x${k}x${n}, kc ${kc}, entry (${i}, ${j}): ${out[i * n + j]} vs ${c}`);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is right with other register tiles (the packers and macro-kernels are generated for any)', () => {
    // Row counts that take the packers' transposing path (multiples of the lanes) and that do
    // not (3, 6), column panels of 1-4 vectors, and a depth loop unrolled by 2 (padded depths).
    const tiles: [number, number, number][] = [
      [2, 4, 1],
      [3, 3, 1],
      [6, 2, 1],
      [4, 1, 2],
      [8, 1, 1],
    ];
    const built = tiles.map(([mr, nrVecs, unroll]) => {
      const f32: GemmShape = { esize: 4, mr, nrVecs, unroll };
      const f64: GemmShape = { esize: 8, mr, nrVecs, unroll };
      const ex = instantiate(buildKernelModule(false, f32, f64));
      return { ex, f32, f64, arena: new Arena(ex.memory as WasmMemory) };
    });
    fc.assert(
      fc.property(matmulCase, blocksArb, fc.nat(tiles.length - 1), (c, blocks, t) => {
        const { ex, f32, f64, arena } = built[t]!;
        const a = matrixView(c.dtype, c.batch, c.bcastA, c.m, c.k, c.layoutA, c.seed);
        const b = matrixView(c.dtype, c.batch, c.bcastB, c.k, c.n, c.layoutB, c.seed + 1);
        const out = alloc(c.dtype, c.batch.reduce((x, y) => x * y, 1) * c.m * c.n);
        gemm(arena, kernelsOf(ex, c.dtype, c.dtype === 'float64' ? f64 : f32, blocks), a, b, c.batch, c.m, c.k, c.n, out);
        checkMatmul(c.dtype, a, b, c.batch, c.m, c.k, c.n, out);
      }),
      { numRuns: 300 },
    );
  });

  it('handles production block sizes (k > 256, m > 128) and a wide gathered column slice', () => {
    for (const dtype of DTYPES) {
      const [m, k, n] = [133, 301, 45];
      const a = matrixView(dtype, [], [], m, k, 'padded', 3);
      const b = matrixView(dtype, [], [], k, n, 'transposed', 4);
      const out = alloc(dtype, m * n);
      wasm.matmul(a, b, [], m, k, n, out);
      checkMatmul(dtype, a, b, [], m, k, n, out);
      // Column 7 of a 5000-wide matrix as a k×1 operand: the span is mostly gaps, so it is gathered.
      const wide = { data: randomArray(dtype, k * 5000, 9), offset: 7, strides: [5000, 1] };
      const col = alloc(dtype, m);
      wasm.matmul(a, wide, [], m, k, 1, col);
      checkMatmul(dtype, a, wide, [], m, k, 1, col);
    }
  });

  it('returns zeros for k = 0 and nothing for empty outputs', () => {
    const out = new Float32Array(6).fill(7);
    wasm.matmul(
      { data: new Float32Array(0), offset: 0, strides: [0, 1] },
      { data: new Float32Array(0), offset: 0, strides: [3, 1] },
      [],
      2,
      0,
      3,
      out,
    );
    expect([...out]).toEqual([0, 0, 0, 0, 0, 0]);
    wasm.matmul(
      { data: new Float32Array(0), offset: 0, strides: [1, 1] },
      { data: new Float32Array(0), offset: 0, strides: [1, 1] },
      [],
      0,
      3,
      3,
      new Float32Array(0),
    );
  });

  it('falls back for mixed dtypes', () => {
    const a = { data: new Float32Array([1, 2, 3, 4]), offset: 0, strides: [2, 1] };
    const b = { data: new Float64Array([1, 0, 0, 1]), offset: 0, strides: [2, 1] };
    const out = new Float64Array(4);
    wasm.matmul(a, b, [], 2, 2, 2, out);
    expect([...out]).toEqual([1, 2, 3, 4]);
  });
});

const sameValue = (x: number, y: number): boolean => x === y || (Number.isNaN(x) && Number.isNaN(y));

/** Arrays of special and ordinary values (kept in float32 range for float32). */
const values = (dtype: DType, maxLength: number) =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
        { weight: 1, arbitrary: fc.constantFrom(0, -0, Infinity, -Infinity, NaN, 1e-40, 3e38) },
      ),
      { maxLength },
    )
    .map((xs) => (dtype === 'float64' ? Float64Array.from(xs) : Float32Array.from(xs)));

describe('wasm binary', () => {
  // Comparisons write bool outputs, tested with their own kernels in wasm-mask-kernels.test.ts.
  const ops = ['add', 'sub', 'mul', 'div', 'maximum', 'pow'] as const;
  it('matches the JS kernel exactly (same-shape, scalar-broadcast and strided cases)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DTYPES),
        fc.constantFrom(...ops),
        fc.constantFrom('vv', 'vs', 'sv', 'rows'),
        fc.integer({ min: 0, max: 70 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1e9 }),
        (dtype, op, mode, cols, rows, seed) => {
          const n = rows * cols;
          const r = rng(seed);
          let salt = 0;
          const data = (len: number) => {
            const d = randomArray(dtype, len + 3, seed + ++salt);
            if (r() < 0.3 && len > 0) d[Math.floor(r() * len)] = [NaN, -0, Infinity][Math.floor(r() * 3)]!;
            return d;
          };
          const contiguous = (): StridedView => ({ data: data(n), offset: 3, strides: [cols, 1] });
          const scalar = (): StridedView => ({ data: data(1), offset: 1, strides: [0, 0] });
          const a = mode === 'sv' ? scalar() : contiguous();
          // 'rows': b broadcast along rows (stride [0, 1]): staged row by row (SIMD once cols ≥ 16).
          const b = mode === 'vs' ? scalar() : mode === 'rows' ? { data: data(cols), offset: 0, strides: [0, 1] } : contiguous();
          const shape = [rows, cols];
          const want = alloc(dtype, n);
          const got = alloc(dtype, n);
          jsBackend.binary(op, a, b, shape, want);
          wasm.binary(op, a, b, shape, got);
          for (let i = 0; i < n; i++) if (!sameValue(got[i]!, want[i]!)) expect.fail(`${op} ${mode} [${i}]: ${got[i]} vs ${want[i]}`);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('chunks long arrays (longer than the staging chunk)', () => {
    for (const dtype of DTYPES) {
      const n = 40_003;
      const a = { data: randomArray(dtype, n, 1), offset: 0, strides: [1] };
      const b = { data: randomArray(dtype, n, 2), offset: 0, strides: [1] };
      const want = alloc(dtype, n);
      const got = alloc(dtype, n);
      jsBackend.binary('div', a, b, [n], want);
      wasm.binary('div', a, b, [n], got);
      expect(got).toEqual(want);
    }
  });
});

describe('wasm unary', () => {
  // The documented bounds of the float32 approximations (measured maxima: exp 1, log 3,
  // sigmoid 2, tanh 1 ulp over 2^22 samples each; sin and cos: see wasm-math.test.ts).
  const approx: Record<string, number> = { exp: 1, log: 3, sigmoid: 2, tanh: 2, sin: 1, cos: 1 };
  const ops = ['neg', 'abs', 'sqrt', 'exp', 'log', 'sigmoid', 'tanh', 'sign', 'sin', 'cos'] as const;

  it('is exact where the kernel is exact, and within the ulp bounds for float32 approximations', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DTYPES).chain((d) => fc.tuple(fc.constant(d), values(d, 40))),
        fc.constantFrom(...ops),
        ([dtype, x], op) => {
          const want = alloc(dtype, x.length);
          const got = alloc(dtype, x.length);
          jsBackend.unary(op, x, want);
          wasm.unary(op, x, got);
          const bound = dtype === 'float32' ? (approx[op] ?? 0) : 0;
          for (let i = 0; i < x.length; i++) {
            const ok = bound === 0 ? sameValue(got[i]!, want[i]!) : ulps32(got[i]!, want[i]!) <= bound;
            if (!ok) expect.fail(`${dtype} ${op}(${x[i]}): ${got[i]} vs ${want[i]}`);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('meets the float32 bounds over wide sweeps, incl. overflow, subnormal and special inputs', () => {
    const r = rng(5);
    const n = 1 << 16;
    const sweeps: Record<string, () => number> = {
      exp: () => (r() * 2 - 1) * 110,
      sigmoid: () => (r() * 2 - 1) * 110,
      tanh: () => (r() * 2 - 1) * 10 ** (r() * 6 - 5) * 10,
      log: () => new Float32Array(Uint32Array.of(Math.floor(r() * 0x7f800000)).buffer)[0]!,
    };
    for (const [op, gen] of Object.entries(sweeps)) {
      const x = new Float32Array(n).map(gen);
      x.set([0, -0, Infinity, -Infinity, NaN, -1, 1, 88.72, 88.73, -87.4, -103.9, -104.5, 0.55, -0.5499, 1e-40]);
      // Either side of exp's one-multiply limit (87), and NaNs with payloads and either sign.
      x.set([87, -87, 87.01, -87.01, 88.37, -87.68, 9.01, -9.02, 20, -20], 15);
      new Uint32Array(x.buffer).set([0x7f800001, 0x7fc001ff, 0xffffffff, 0xff800101, 0x7fbfffff], 25);
      const want = new Float32Array(n);
      const got = new Float32Array(n);
      jsBackend.unary(op as 'exp', x, want);
      wasm.unary(op as 'exp', x, got);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, ulps32(got[i]!, want[i]!));
      expect(worst, op).toBeLessThanOrEqual(approx[op]!);
    }
  });

  it('works in place (out === x)', () => {
    const x = Float32Array.from([1, 4, 9, 16, 25]);
    wasm.unary('sqrt', x, x);
    expect([...x]).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('wasm reduce', () => {
  const shapes = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 0, maxLength: 3 });
  it('matches the JS kernel for trailing-axis (SIMD) and other (fallback) reductions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DTYPES),
        fc.constantFrom('sum', 'max'),
        shapes,
        fc.integer({ min: 0, max: 1e9 }),
        fc.nat(),
        (dtype, op, shape, seed, pick) => {
          const size = shape.reduce((x, y) => x * y, 1);
          const x = randomArray(dtype, size, seed);
          if (size > 0 && pick % 7 === 0) x[pick % size] = NaN;
          // A random subset of axes (sorted, distinct); trailing runs take the SIMD path.
          const axes = shape.map((_, i) => i).filter((i) => ((pick >> i) & 1) === 1);
          const outShape = shape.filter((_, i) => !axes.includes(i));
          const outSize = outShape.reduce((x, y) => x * y, 1);
          const want = alloc(dtype, outSize);
          const got = alloc(dtype, outSize);
          jsBackend.reduce(op, x, shape, axes, want);
          wasm.reduce(op, x, shape, axes, got);
          const len = size / Math.max(outSize, 1);
          for (let i = 0; i < outSize; i++) {
            // Sums add in another order. The WASM kernel always accumulates in float64; the JS one
            // does within a row but goes through the float32 output across rows (e.g. axes [0, 1]
            // of [6, 1]), so allow len half-ulps of the row's magnitude (≤ len, data in [-1, 1]).
            const tol = op === 'max' ? 0 : len * len * (dtype === 'float32' ? 2 ** -23 : 2 ** -52);
            const ok = sameValue(got[i]!, want[i]!) || Math.abs(got[i]! - want[i]!) <= tol;
            if (!ok) expect.fail(`${op} ${shape} axes ${axes} [${i}]: ${got[i]} vs ${want[i]}`);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('sums over leading axes (column sums) bit for bit like the JS kernel', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DTYPES),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 1e9 }),
        (dtype, shape, count, seed) => {
          const lead = Math.min(count, shape.length - 1);
          const axes = Array.from({ length: lead }, (_, i) => i);
          const size = shape.reduce((p, d) => p * d, 1);
          const x = randomArray(dtype, size, seed);
          const outSize = size / shape.slice(0, lead).reduce((p, d) => p * d, 1);
          const want = alloc(dtype, outSize);
          const got = alloc(dtype, outSize);
          jsBackend.reduce('sum', x, shape, axes, want);
          wasm.reduce('sum', x, shape, axes, got);
          for (let i = 0; i < outSize; i++)
            if (!sameValue(got[i]!, want[i]!)) expect.fail(`sum ${shape} axes ${axes} [${i}]: ${got[i]} vs ${want[i]}`);
        },
      ),
      { numRuns: 200 },
    );
  });
  it('reduces rows longer than the staging chunk, and many short rows', () => {
    for (const dtype of DTYPES) {
      for (const shape of [
        [3, 50_001],
        [20_000, 3],
      ]) {
        const x = randomArray(dtype, shape[0]! * shape[1]!, 11);
        for (const op of ['sum', 'max'] as const) {
          const want = alloc(dtype, shape[0]!);
          const got = alloc(dtype, shape[0]!);
          jsBackend.reduce(op, x, shape, [1], want);
          wasm.reduce(op, x, shape, [1], got);
          for (let i = 0; i < shape[0]!; i++)
            expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[i]!)));
        }
      }
    }
  });
});

describe('wasm where', () => {
  it('matches the JS kernel exactly (vector and scalar branches, NaN and -0 conditions)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DTYPES),
        fc.constantFrom('vv', 'vs', 'sv'),
        fc.integer({ min: 0, max: 70 }),
        fc.integer({ min: 0, max: 1e9 }),
        (dtype, mode, n, seed) => {
          const pick = [0, 1, -0, NaN, 2.5];
          const cond: StridedView = { data: alloc(dtype, n).map((_, i) => pick[(i * 7 + seed) % pick.length]!), offset: 0, strides: [1] };
          const vector = (salt: number): StridedView => ({ data: randomArray(dtype, n + 1, seed + salt), offset: 1, strides: [1] });
          const scalar = (salt: number): StridedView => ({ data: randomArray(dtype, 1, seed + salt), offset: 0, strides: [0] });
          const a = mode === 'sv' ? scalar(1) : vector(1);
          const b = mode === 'vs' ? scalar(2) : vector(2);
          const want = alloc(dtype, n);
          const got = alloc(dtype, n);
          jsBackend.where(cond, a, b, [n], want);
          wasm.where(cond, a, b, [n], got);
          for (let i = 0; i < n; i++) if (!sameValue(got[i]!, want[i]!)) expect.fail(`where ${mode} [${i}]: ${got[i]} vs ${want[i]}`);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('wasm where (strided) and copy (delegated)', () => {
  it('match the JS kernel', () => {
    const cond = { data: Float32Array.from([1, 0, 1, 0]), offset: 0, strides: [2, 1] };
    const a = { data: Float32Array.from([1, 2, 3, 4]), offset: 0, strides: [2, 1] };
    const b = { data: Float32Array.from([9]), offset: 0, strides: [0, 0] };
    const out = new Float32Array(4);
    wasm.where(cond, a, b, [2, 2], out);
    expect([...out]).toEqual([1, 9, 3, 9]);
    const dst = { data: new Float32Array(4), offset: 0, strides: [2, 1] };
    wasm.copy({ data: a.data, offset: 0, strides: [1, 2] }, dst, [2, 2]);
    expect([...dst.data]).toEqual([1, 3, 2, 4]);
  });
});

describe('wasm internals', () => {
  it('encodes LEB128 like the spec examples', () => {
    const u = (v: number) => {
      const out: number[] = [];
      pushU32(out, v);
      return out;
    };
    const s = (v: number) => {
      const out: number[] = [];
      pushI32(out, v);
      return out;
    };
    expect(u(0)).toEqual([0]);
    expect(u(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(u(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(s(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(s(63)).toEqual([0x3f]);
    expect(s(64)).toEqual([0xc0, 0x00]);
    expect(s(-64)).toEqual([0x40]);
    expect(s(-65)).toEqual([0xbf, 0x7f]);
  });

  it('reuses the arena: repeated products do not grow memory', () => {
    const ex = instantiate(buildKernelModule(false));
    const memory = ex.memory as WasmMemory;
    const arena = new Arena(memory);
    const first = arena.alloc(1 << 20);
    const grown = memory.buffer.byteLength;
    for (let i = 0; i < 10; i++) {
      arena.reset();
      expect(arena.alloc(1 << 20)).toBe(first);
    }
    expect(memory.buffer.byteLength).toBe(grown);
    // Growth replaces the buffer: views must follow it.
    const view = arena.view('float32');
    arena.alloc(64 << 20);
    expect(arena.view('float32').buffer).not.toBe(view.buffer);
    expect(arena.view('float32').length).toBe(memory.buffer.byteLength / 4);
  });
});
