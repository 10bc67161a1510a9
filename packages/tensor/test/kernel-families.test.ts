// The WASM kernel families' table against the module and the dispatch: one row per family (a
// missing row is a type error, keyed by FamilyName), every listed kernel an export of the built
// module and every export listed, and each family's threshold where the backend switches: one
// element below it the fallback's JS loop runs, at it the WASM kernel, with the JS result.
import { describe, expect, it } from 'vitest';
import type { TypedArray } from '../src/dtype.js';
import type { Backend, FusedExpression, StridedView, UnaryKernel } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { familyKernels, KERNEL_FAMILIES, type FamilyName } from '../src/backend/wasm/kernel-families.js';
import { buildKernelModule } from '../src/backend/wasm/module.js';
import { POOL_FUNCTIONS } from '../src/backend/wasm/threads.js';
import { instantiate } from '../src/backend/wasm/wasm-api.js';
import { countingFallback, randomArray, ulps32 } from './kernel-support.js';

/** The backend kernels a family's calls fall back to. */
type FallbackKernel = 'unary' | 'binary' | 'where' | 'reduce' | 'cumsum' | 'scatterAdd' | 'unfold';

interface FamilyRow {
  /** One call of the family on `backend` with `size` of what its threshold counts; returns the output. */
  readonly call: (backend: Backend, size: number) => TypedArray;
  /**
   * How a call below the threshold shows: the fallback kernel it goes to, or 'compiles' for a
   * family compiled per call (its first call above the threshold compiles a module; JS does not).
   */
  readonly fallback: FallbackKernel | 'compiles';
  /** Most float32 ulps from the JS result (0: bit for bit). */
  readonly ulps: number;
}

const vector = (n: number, seed: number, map: (x: number) => number = (x) => x): StridedView => ({
  data: randomArray('float32', n, seed).map(map),
  offset: 0,
  strides: [1],
});

/** A unary family's row: `op` on `n` seeded values (mapped by `map`), within `ulps` of JS. */
function unaryRow(op: UnaryKernel, seed: number, ulps: number, map?: (x: number) => number): FamilyRow {
  return {
    call: (backend, n) => {
      const out = new Float32Array(n);
      backend.unary(op, vector(n, seed, map).data, out);
      return out;
    },
    fallback: 'unary',
    ulps,
  };
}

const add: FusedExpression = {
  key: 'test:add(operand0,operand1):float32',
  nodes: [
    { kind: 'operand', index: 0, dtype: 'float32' },
    { kind: 'operand', index: 1, dtype: 'float32' },
    { kind: 'binary', kernel: 'add', args: [0, 1], dtype: 'float32' },
  ],
};

const ROWS: { readonly [F in FamilyName]: FamilyRow } = {
  binary: {
    call: (backend, n) => {
      const out = new Float32Array(n);
      backend.binary('mul', vector(n, 1), vector(n, 2), [n], out);
      return out;
    },
    fallback: 'binary',
    ulps: 0,
  },
  comparison: {
    call: (backend, n) => {
      const out = new Uint8Array(n);
      backend.binary('less', vector(n, 1), vector(n, 2), [n], out);
      return out;
    },
    fallback: 'binary',
    ulps: 0,
  },
  where: {
    call: (backend, n) => {
      const out = new Float32Array(n);
      backend.where(
        vector(n, 3, (x) => (x > 0 ? 1 : 0)),
        vector(n, 1),
        vector(n, 2),
        [n],
        out,
      );
      return out;
    },
    fallback: 'where',
    ulps: 0,
  },
  exactUnary: unaryRow('sqrt', 4, 0, Math.abs),
  // The documented bound of the float32-lane exp (wasm-backend.test.ts).
  approximateUnary: unaryRow('exp', 5, 1),
  wideUnary: unaryRow('sin', 6, 1),
  reduceRows: {
    call: (backend, n) => {
      const out = new Float32Array(1);
      backend.reduce('max', vector(n, 7).data, [n], [0], out);
      return out;
    },
    fallback: 'reduce',
    ulps: 0,
  },
  cumsum: {
    call: (backend, n) => {
      const out = new Float32Array(n);
      backend.cumsum(vector(n, 8).data, [n], 0, false, out);
      return out;
    },
    fallback: 'cumsum',
    ulps: 0,
  },
  scatterAdd: {
    // n rows of one element into one row: repeated rows, so the row-width rule lets it run in WASM.
    call: (backend, n) => {
      const out = new Float32Array(1);
      backend.scatterAdd(vector(n, 9).data, 1, 1, 1, new Int32Array(n), out);
      return out;
    },
    fallback: 'scatterAdd',
    ulps: 0,
  },
  windows: {
    // n planes of one pixel, a 1×1 window: n column elements.
    call: (backend, n) => {
      const out = new Float32Array(n);
      const g = { height: 1, width: 1, padding: [0, 0], kernel: [1, 1], stride: [1, 1], dilation: [1, 1], out: [1, 1] } as const;
      backend.unfold(vector(n, 10).data, n, g, out);
      return out;
    },
    fallback: 'unfold',
    ulps: 0,
  },
  fused: {
    call: (backend, n) => {
      const out = new Float32Array(n);
      expect(backend.fused?.run(add, [vector(n, 11), vector(n, 12)], [n], out)).toBe(true);
      return out;
    },
    fallback: 'compiles',
    ulps: 0,
  },
};

const FAMILIES = Object.keys(KERNEL_FAMILIES) as FamilyName[];

/** Calls `run` counting the WebAssembly modules compiled meanwhile. */
function countingCompiles<T>(run: () => T): { result: T; compiled: number } {
  const api = globalThis.WebAssembly;
  const Original = api.Module;
  let compiled = 0;
  api.Module = new Proxy(Original, {
    construct(target, args: [BufferSource]) {
      compiled++;
      return new target(...args);
    },
  });
  try {
    return { result: run(), compiled };
  } finally {
    api.Module = Original;
  }
}

describe('the kernel family table', () => {
  it('has one test row per family, and every family a threshold with its measurement', () => {
    expect(Object.keys(ROWS).sort()).toEqual([...FAMILIES].sort());
    for (const family of FAMILIES) {
      const { threshold } = KERNEL_FAMILIES[family];
      expect(Number.isInteger(threshold.from) && threshold.from > 0, family).toBe(true);
      expect(threshold.counts.length, family).toBeGreaterThan(0);
      expect(threshold.measured.length, family).toBeGreaterThan(0);
    }
  });

  it('lists exactly the kernel module’s exports besides the GEMM kernels, each once, each emitted', () => {
    const exports = Object.keys(instantiate(buildKernelModule(false)));
    const listed = FAMILIES.flatMap(familyKernels);
    expect(new Set(listed).size).toBe(listed.length);
    for (const name of listed) expect(exports, name).toContain(name);
    // The GEMM kernels (the pool's, and the single-threaded driver's narrow tile and row
    // compaction) are not a family.
    const narrow = ['pack_a_f32_narrow', 'pack_b_f32_narrow', 'macro_f32_narrow', 'macro_set_f32_narrow'];
    const stridedA = ['f32', 'f64', 'f32_narrow'].map((tag) => `macro_set_strided_a_${tag}`);
    const gemm = new Set<string>([...POOL_FUNCTIONS, ...narrow, ...stridedA, 'compact', 'memory']);
    expect(exports.filter((name) => !gemm.has(name)).sort()).toEqual([...listed].sort());
  });

  describe.each(FAMILIES)('%s', (family) => {
    const row = ROWS[family];
    const from = KERNEL_FAMILIES[family].threshold.from;

    /** Runs the row at `size` on a fresh WASM backend; whether the fallback ran, and whether the result is the JS one. */
    function probe(size: number): { fellBack: boolean } {
      const counting = countingFallback(row.fallback === 'compiles' ? [] : [row.fallback]);
      const wasm = createWasmBackend({ threads: 1, fallback: counting.backend });
      const { result: got, compiled } = countingCompiles(() => row.call(wasm, size));
      const want = row.call(jsBackend, size);
      for (let i = 0; i < want.length; i++) {
        const ok = row.ulps === 0 ? Object.is(got[i], want[i]) : ulps32(got[i]!, want[i]!) <= row.ulps;
        if (!ok) expect.fail(`${family} at ${size}: entry ${i} is ${got[i]}, JS gives ${want[i]}`);
      }
      return { fellBack: row.fallback === 'compiles' ? compiled === 0 : counting.calls() > 0 };
    }

    it(`runs the JS loop below ${from} and its WASM kernel from there, with the JS results`, () => {
      expect(probe(from - 1).fellBack).toBe(true);
      expect(probe(from).fellBack).toBe(false);
    });
  });
});
