// The threaded matmul: bit-identical to the single-threaded one (same depth blocking, so each
// entry sums the same products in the same order), over odd shapes, layouts and broadcasts;
// and a Node process using it exits by itself (idle workers must not keep it alive).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DType } from '../src/dtype.js';
import type { StridedView } from '../src/backend/backend.js';
import { createWasmBackend, type WasmBackend } from '../src/backend/wasm/index.js';
import { buildKernelModule, GEMM_F32, GEMM_F64, SHARED_MAX_PAGES } from '../src/backend/wasm/module.js';
import {
  CLAIM_WORDS,
  claimUnits,
  createThreadPool,
  KERNEL_SLOTS,
  POOL_FUNCTIONS,
  RECORD_WORDS,
  SEQ,
  type ClaimWords,
} from '../src/backend/wasm/threads.js';
import { FunctionBuilder, ModuleBuilder, OP, T, type ValType } from '../src/backend/wasm/emitter.js';
import { alloc, matrixView, type Layout } from './kernel-support.js';

const single = createWasmBackend({ threads: 1 });
// threadThreshold 1: every non-empty product takes the threaded path.
const threaded: WasmBackend = createWasmBackend({ threads: 3, threadThreshold: 1 });
let threads = 1;

beforeAll(async () => {
  threads = await threaded.threadsReady();
});
afterAll(() => threaded.dispose());

const view = matrixView;

/** Runs both backends and compares every bit (Object.is also tells -0 from +0). */
function expectIdentical(dtype: DType, a: StridedView, b: StridedView, batch: number[], m: number, k: number, n: number): void {
  const size = batch.reduce((x, y) => x * y, 1) * m * n;
  const want = alloc(dtype, size);
  const got = alloc(dtype, size).fill(NaN);
  single.matmul(a, b, batch, m, k, n, want);
  threaded.matmul(a, b, batch, m, k, n, got);
  for (let i = 0; i < size; i++) {
    if (!Object.is(got[i], want[i])) expect.fail(`entry ${i} of ${batch}×${m}×${k}×${n}: threaded ${got[i]} vs single ${want[i]}`);
  }
}

const layoutArb = fc.constantFrom<Layout>('contiguous', 'transposed', 'reversed');
const caseArb = fc.record({
  dtype: fc.constantFrom<DType>('float32', 'float64'),
  batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
  bcastA: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  bcastB: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  m: fc.integer({ min: 1, max: 70 }),
  k: fc.integer({ min: 1, max: 300 }),
  n: fc.integer({ min: 1, max: 70 }),
  la: layoutArb,
  lb: layoutArb,
  seed: fc.nat(),
});

describe('threaded wasm matmul', () => {
  it('starts its workers', () => {
    expect(threads).toBe(3);
  });

  it('equals the single-threaded result bit for bit on random shapes, layouts and broadcasts', () => {
    fc.assert(
      fc.property(caseArb, ({ dtype, batch, bcastA, bcastB, m, k, n, la, lb, seed }) => {
        const a = view(dtype, batch, bcastA.slice(0, batch.length), m, k, la, seed);
        const b = view(dtype, batch, bcastB.slice(0, batch.length), k, n, lb, seed + 1);
        expectIdentical(dtype, a, b, batch, m, k, n);
      }),
      { numRuns: 150, seed: 5 },
    );
  });

  it('is identical at block boundaries and production sizes (k > 256, n > 4096, m > 128)', () => {
    const shapes: [number[], number, number, number][] = [
      [[], 129, 257, 33],
      [[], 4, 513, 8],
      [[], 8, 5, 4100],
      [[], 300, 600, 130],
      [[2], 131, 260, 67],
      [[16], 5, 17, 3],
    ];
    for (const [batch, m, k, n] of shapes) {
      for (const dtype of ['float32', 'float64'] as const) {
        const a = view(
          dtype,
          batch,
          batch.map(() => false),
          m,
          k,
          'contiguous',
          m + k,
        );
        const b = view(
          dtype,
          batch,
          batch.map(() => true),
          k,
          n,
          'transposed',
          k + n,
        );
        expectIdentical(dtype, a, b, batch, m, k, n);
      }
    }
  });

  it('keeps working after the shared memory grows, and repeats exactly', () => {
    // Small first, then large enough to grow the shared memory several times over.
    for (const size of [8, 64, 700, 32]) {
      const a = view('float32', [], [], size, size, 'contiguous', size);
      const b = view('float32', [], [], size, size, 'contiguous', size + 7);
      expectIdentical('float32', a, b, [], size, size, size);
      expectIdentical('float32', a, b, [], size, size, size);
    }
  });

  it('runs single-threaded with threads: 1 and for products below the threshold', async () => {
    expect(await single.threadsReady()).toBe(1);
    const lazy = createWasmBackend({ threads: 2, threadThreshold: 1e12 });
    const a = view('float32', [], [], 9, 9, 'contiguous', 1);
    const out = new Float32Array(81);
    lazy.matmul(a, a, [], 9, 9, 9, out);
    lazy.dispose();
    const want = new Float32Array(81);
    single.matmul(a, a, [], 9, 9, 9, want);
    expect(out).toEqual(want);
  });
});

type ClaimLoop = typeof claimUnits;

/**
 * Runs a job of `units` units of one record each through `loop` compiled from its source text
 * alone (as the workers run it: no module scope), on one thread; returns the records' calls.
 */
function runStandalone(loop: ClaimLoop, words: ClaimWords, units: number): number[][] {
  const standalone = new Function(`return (${loop.toString()});`)() as ClaimLoop;
  const memory = { buffer: new SharedArrayBuffer(4096) };
  const c = new Int32Array(memory.buffer, 0, 128);
  const mem = new Int32Array(memory.buffer);
  const [table, recs] = [1024, 2048];
  for (let u = 0; u < units; u++) {
    mem[table / 4 + 2 * u] = u;
    mem[table / 4 + 2 * u + 1] = 1;
    mem.set([0, u, 10 + u, 0, 0, 0, 0, 7], recs / 4 + u * words.recordWords);
  }
  const generation = 3;
  Atomics.store(c, words.table, table);
  Atomics.store(c, words.recs, recs);
  Atomics.store(c, words.p1, 1);
  Atomics.store(c, words.total, (generation << 16) | units);
  Atomics.store(c, words.next, generation << 16);
  const calls: number[][] = [];
  standalone(c, memory, [(...args: number[]) => void calls.push(args)], words, () => {});
  expect(Atomics.load(c, words.done)).toBe(units);
  expect(Atomics.load(c, words.p1Done)).toBe(1);
  expect(Atomics.load(c, words.error)).toBe(0);
  return calls;
}

/** What the workers' checks need of threads.ts and module.ts: from the sources, or from a bundle of them. */
interface PoolModules {
  readonly claimUnits: ClaimLoop;
  readonly CLAIM_WORDS: ClaimWords;
  readonly SEQ: number;
  readonly RECORD_WORDS: number;
  readonly POOL_FUNCTIONS: readonly string[];
  readonly createThreadPool: typeof createThreadPool;
  readonly buildKernelModule: typeof buildKernelModule;
  readonly GEMM_F32: typeof GEMM_F32;
  readonly GEMM_F64: typeof GEMM_F64;
  readonly SHARED_MAX_PAGES: number;
}

const sources: PoolModules = {
  claimUnits,
  CLAIM_WORDS,
  SEQ,
  RECORD_WORDS,
  POOL_FUNCTIONS,
  createThreadPool,
  buildKernelModule,
  GEMM_F32,
  GEMM_F64,
  SHARED_MAX_PAGES,
};

/** threads.ts and module.ts bundled and minified by esbuild (keep-names on), imported from a temporary file. */
async function bundled(): Promise<PoolModules> {
  const bundle = buildSync({
    stdin: {
      contents: "export * from './threads.ts'; export * from './module.ts';",
      resolveDir: new URL('../src/backend/wasm/', import.meta.url).pathname,
      loader: 'ts',
    },
    bundle: true,
    minify: true,
    keepNames: true,
    format: 'esm',
    write: false,
  });
  const dir = mkdtempSync(join(tmpdir(), 'jacobi-claim-'));
  try {
    const file = join(dir, 'threads.mjs');
    writeFileSync(file, bundle.outputFiles[0]!.text);
    return (await import(pathToFileURL(file).href)) as PoolModules;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Posts a job straight into a new pool's control words and waits for its workers: the caller
 * claims nothing, so the job finishes only if the workers' loop (the spliced claimUnits) runs.
 * Its units alternate between zero-filling records (pack_a_f32 of one empty panel) and a kernel
 * added to the pool (storing its second argument at its first), which each worker compiles at
 * its first unit of it from the bytes in the shared memory. Phase 1 (two units) precedes the rest.
 */
async function runOnWorkersAlone(m: PoolModules): Promise<void> {
  const pool = m.createThreadPool(m.buildKernelModule(false, m.GEMM_F32, m.GEMM_F64, m.SHARED_MAX_PAGES), m.SHARED_MAX_PAGES, 3);
  if (pool === undefined) return expect.fail('Node should start a thread pool');
  try {
    expect(await pool.whenReady()).toBe(3);
    const store = pool.addKernel(storeKernel(m.SHARED_MAX_PAGES));
    expect(store).toBe(m.POOL_FUNCTIONS.length);
    const [units, bytes, w] = [8, 64, m.CLAIM_WORDS];
    const arena = pool.arena;
    arena.reset();
    const region = arena.alloc(units * bytes);
    const marks = arena.alloc(units * 4);
    const table = arena.alloc(units * 8);
    const recs = arena.alloc(units * m.RECORD_WORDS * 4);
    const c = arena.i32();
    c.fill(-1, region / 4, (region + units * bytes) / 4);
    c.fill(-1, marks / 4, marks / 4 + units);
    for (let u = 0; u < units; u++) {
      c.set([u, 1], table / 4 + 2 * u);
      // pack_a_f32 of one panel at depth 0 only zero-fills its destination: `bytes` of zeros.
      const [mr, depthPad] = [m.GEMM_F32.mr, bytes / (m.GEMM_F32.mr * 4)];
      const record =
        u % 2 === 0
          ? [m.POOL_FUNCTIONS.indexOf('pack_a_f32'), 0, 1, 1, mr, 0, region + u * bytes, depthPad]
          : [store, marks + 4 * u, 100 + u, 0, 0, 0, 0, 0];
      c.set(record, recs / 4 + u * m.RECORD_WORDS);
    }
    const generation = 0x7abc;
    for (const [word, value] of [
      [w.error, 0],
      [w.table, table],
      [w.recs, recs],
      [w.p1, 2],
      [w.p1Done, 0],
      [w.done, 0],
      [w.total, (generation << 16) | units],
      [w.next, generation << 16],
    ] as const)
      Atomics.store(c, word, value);
    Atomics.add(c, m.SEQ, 1);
    Atomics.notify(c, m.SEQ);
    const until = Date.now() + 10_000;
    for (let d = Atomics.load(c, w.done); d < units && Date.now() < until; d = Atomics.load(c, w.done)) Atomics.wait(c, w.done, d, 10);
    expect(Atomics.load(c, w.done)).toBe(units);
    expect(Atomics.load(c, w.error)).toBe(0);
    for (let u = 0; u < units; u++) {
      const filled = c.subarray((region + u * bytes) / 4, (region + (u + 1) * bytes) / 4);
      expect(u % 2 === 0 ? filled.every((x) => x === 0) : filled.every((x) => x === -1)).toBe(true);
      expect(c[marks / 4 + u]).toBe(u % 2 === 0 ? -1 : 100 + u);
    }
  } finally {
    pool.dispose();
  }
}

/** A module over a shared memory of at most `maxPages` exporting `unit(at, value, …)`, which stores the i32 `value` at `at`. */
function storeKernel(maxPages: number): Uint8Array {
  const f = new FunctionBuilder(Array<ValType>(7).fill(T.i32), []);
  f.get(0).get(1).mem(OP.i32Store);
  const mod = new ModuleBuilder(0, maxPages);
  mod.add('unit', f);
  return mod.bytes();
}

describe('the claim loop', () => {
  const want = [0, 1, 2, 3].map((u) => [u, 10 + u, 0, 0, 0, 0, 7]);

  it('runs from its source text alone, as the workers run it', () => {
    expect(runStandalone(claimUnits, CLAIM_WORDS, 4)).toEqual(want);
  });

  it('is what the workers run: they finish a job alone, the caller claiming nothing', async () => {
    await runOnWorkersAlone(sources);
  });

  it('takes added kernels up to KERNEL_SLOTS, then answers -1', () => {
    const pool = createThreadPool(buildKernelModule(false, GEMM_F32, GEMM_F64, SHARED_MAX_PAGES), SHARED_MAX_PAGES, 2);
    if (pool === undefined) return expect.fail('Node should start a thread pool');
    try {
      const bytes = storeKernel(SHARED_MAX_PAGES);
      const slots = Array.from({ length: KERNEL_SLOTS }, () => pool.addKernel(bytes));
      expect(slots).toEqual(slots.map((_, i) => POOL_FUNCTIONS.length + i));
      expect(pool.addKernel(bytes)).toBe(-1);
    } finally {
      pool.dispose();
    }
  });

  it('stays self-contained through a minifying bundler (esbuild, keep-names on), in the workers too', async () => {
    const minified = await bundled();
    expect(minified.claimUnits.toString()).not.toContain('words.next');
    expect(runStandalone(minified.claimUnits, minified.CLAIM_WORDS, 4)).toEqual(want);
    await runOnWorkersAlone(minified);
  });
});

describe('threaded wasm matmul in a Node process', () => {
  const root = new URL('../../../', import.meta.url);
  const dist = new URL('packages/tensor/dist/index.js', root);

  it.runIf(existsSync(dist))('lets the process exit by itself after large matmuls', () => {
    // The default backend with its default threshold: a 512² product starts the workers; once
    // they are up (threadsReady), later products run threaded. The child must then exit on its
    // own. (Under --input-type=module, as here, Node used to hand that flag to eval workers.)
    const registry = new URL('packages/tensor/dist/backend/registry.js', root);
    const source = `
      import os from 'node:os';
      import { randn } from ${JSON.stringify(dist.href)};
      import { activeBackend } from ${JSON.stringify(registry.href)};
      const a = randn([512, 512]);
      let s = a.matmul(a).toArray()[0][0];
      const threads = await activeBackend().threadsReady();
      for (let i = 0; i < 5; i++) s += a.matmul(a).toArray()[0][0];
      const want = Math.min(8, os.availableParallelism());
      console.log(Number.isFinite(s) && threads === want ? 'ok' : 'threads ' + threads + ' of ' + want);
    `;
    const start = Date.now();
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8', timeout: 15_000 });
    expect(out.trim()).toBe('ok');
    expect(Date.now() - start).toBeLessThan(10_000);
  });
});
