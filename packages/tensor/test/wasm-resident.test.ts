// Tensors resident in the WASM backend's memory: every kernel family gives the same bits on
// resident operands (read and written in place) as on ordinary arrays (staged in and out), on
// both float dtypes, with tails, offsets and in-place outputs; and the block pool's contract
// (size classes, reuse, zeroing, growth keeping old views valid, the budget).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType, TypedArray } from '../src/dtype.js';
import type { BinaryKernel, StridedView, UnaryKernel, WindowGeometry } from '../src/backend/backend.js';
import { createWasmBackend, MIN_RESIDENT_BYTES, type WasmBackend } from '../src/backend/wasm/index.js';
import { SIMD_BINARY, SIMD_UNARY_F32, SIMD_UNARY_F64 } from '../src/backend/wasm/map-kernels.js';
import { SIMD_COMPARISON } from '../src/backend/wasm/mask-kernels.js';
import { WIDE_F32 } from '../src/backend/wasm/wide-math.js';
import { BlockPool, ResidentArrays, sizeClass } from '../src/backend/wasm/pool.js';
import type { WasmMemory } from '../src/backend/wasm/wasm-api.js';
import { randomArray } from './kernel-support.js';

const resident = createWasmBackend({ smallToFallback: false, threads: 1 });
const staged = createWasmBackend({ smallToFallback: false, threads: 1, residentTensors: false });
const DTYPES: readonly DType[] = ['float32', 'float64'];
const es = (dtype: DType) => (dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4);

/** `src` in `be`'s memory when `be` keeps tensors resident (asserted), else an ordinary copy. */
function place(be: WasmBackend, src: TypedArray, dtype: DType = src instanceof Float64Array ? 'float64' : 'float32'): TypedArray {
  if (be === staged) return src.slice();
  const data = be.alloc!(dtype, Math.max(src.length, MIN_RESIDENT_BYTES / es(dtype)))!.subarray(0, src.length);
  expect(data.buffer).toBeInstanceOf(SharedArrayBuffer);
  data.set(src);
  return data;
}

// Bytes right after each resident output, filled with a pattern that a kernel writing past the
// output's end would overwrite (the neighbouring tensor's memory, in real use).
const guards: Uint8Array[] = [];

/** An output of `n` elements of `dtype` for `be` (resident for the resident backend, with a guard after it). */
function output(be: WasmBackend, dtype: DType, n: number): TypedArray {
  if (be !== resident) return dtype === 'float64' ? new Float64Array(n) : dtype === 'bool' ? new Uint8Array(n) : new Float32Array(n);
  const block = be.alloc!(dtype, Math.max(n + 64, MIN_RESIDENT_BYTES / es(dtype)))!;
  const out = block.subarray(0, n);
  const guard = new Uint8Array(block.buffer, out.byteOffset + out.byteLength, 64 * es(dtype));
  guard.fill(0x5a);
  guards.push(guard);
  return out;
}

const bytesOf = (a: TypedArray) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

/** Runs `run` on both backends and checks the outputs are the same bytes. */
function sameBits(run: (be: WasmBackend) => TypedArray): void {
  const want = bytesOf(run(staged));
  guards.length = 0;
  const got = bytesOf(run(resident));
  for (const guard of guards)
    expect(
      guard.every((b) => b === 0x5a),
      'bytes after the output are untouched',
    ).toBe(true);
  expect(got.length).toBe(want.length);
  const at = got.findIndex((b, i) => b !== want[i]);
  expect(at, `first differing byte ${at}`).toBe(-1);
}

// Sizes with every tail modulo a vector (and a mask block), all at least the resident minimum.
const sizeArb = (dtype: DType) => fc.integer({ min: MIN_RESIDENT_BYTES / es(dtype), max: MIN_RESIDENT_BYTES / es(dtype) + 70 });
const caseArb = fc.constantFrom(...DTYPES).chain((dtype) =>
  fc.record({
    dtype: fc.constant(dtype),
    n: sizeArb(dtype),
    offset: fc.integer({ min: 0, max: 5 }),
    seed: fc.integer({ min: 0, max: 1e9 }),
  }),
);

describe('resident operands: the same bits as staged ones', () => {
  it('unary maps (SIMD and float64-lane functions), offset inputs and in-place outputs', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), ({ dtype, n, offset, seed }, inPlace) => {
        const ops: readonly string[] = dtype === 'float32' ? [...SIMD_UNARY_F32, ...Object.keys(WIDE_F32)] : SIMD_UNARY_F64;
        for (const op of ops) {
          // Wide arguments reach the trigonometric fallback lanes too.
          const src = randomArray(dtype, n + offset, seed).map((v) => v * (op === 'sin' || op === 'cos' || op === 'tan' ? 1e6 : 3));
          sameBits((be) => {
            const whole = place(be, src);
            const x = whole.subarray(offset);
            const out = inPlace ? x : output(be, dtype, n);
            be.unary(op as UnaryKernel, x, out);
            return out;
          });
        }
      }),
      { numRuns: 20 },
    );
  });

  it('binary maps and comparisons: vector-vector, vector-scalar, scalar-vector, repeated rows', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 16, max: 40 }), ({ dtype, n, offset, seed }, row) => {
        const rows = Math.ceil(n / row);
        const shape = [rows, row];
        const size = rows * row;
        const va = randomArray(dtype, size + offset, seed);
        const vb = randomArray(dtype, size + offset, seed + 1);
        const ops = [...SIMD_BINARY, ...SIMD_COMPARISON] as readonly BinaryKernel[];
        for (const op of ops) {
          const outDType: DType = (SIMD_COMPARISON as readonly string[]).includes(op) ? 'bool' : dtype;
          const views = (be: WasmBackend): [StridedView, StridedView][] => {
            const a = place(be, va);
            const b = place(be, vb);
            return [
              [
                { data: a, offset, strides: [row, 1] },
                { data: b, offset, strides: [row, 1] },
              ],
              [
                { data: a, offset, strides: [row, 1] },
                { data: b, offset: 2, strides: [0, 0] },
              ],
              [
                { data: b, offset: 1, strides: [0, 0] },
                { data: a, offset, strides: [row, 1] },
              ],
              // A bias row broadcast over the batch: staged row by row, the output still resident.
              [
                { data: a, offset, strides: [row, 1] },
                { data: b, offset: 3, strides: [0, 1] },
              ],
            ];
          };
          for (let v = 0; v < 4; v++) {
            sameBits((be) => {
              const [a, b] = views(be)[v]!;
              const out = output(be, outDType, size);
              be.binary(op, a, b, shape, out);
              return out;
            });
          }
        }
      }),
      { numRuns: 15 },
    );
  });

  it('where on float and mask conditions, vector and scalar branches', () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), ({ dtype, n, offset, seed }, onMask) => {
        const vc = randomArray(dtype, n + offset, seed + 2);
        const mask = Uint8Array.from(vc, (v) => (v > 0 ? 1 : 0));
        const va = randomArray(dtype, n + offset, seed);
        const vb = randomArray(dtype, n + offset, seed + 1);
        for (const mode of ['vv', 'vs', 'sv'] as const) {
          sameBits((be) => {
            const c = onMask ? place(be, mask, 'bool') : place(be, vc);
            const a = place(be, va);
            const b = place(be, vb);
            const vec = { offset, strides: [1] };
            const scalar = { offset: 0, strides: [0] };
            const out = output(be, dtype, n);
            be.where(
              { data: c, offset, strides: [1] },
              { data: a, ...(mode === 'sv' ? scalar : vec) },
              { data: b, ...(mode === 'vs' ? scalar : vec) },
              [n],
              out,
            );
            return out;
          });
        }
      }),
      { numRuns: 20 },
    );
  });

  it('reductions over trailing axes (rows, long rows in segments) and leading ones (column sums)', () => {
    const shapes: [number[], number[]][] = [
      [[7, 93], [1]],
      [[3, 20000], [1]],
      [[40, 17], [0]],
      [
        [5, 6, 31],
        [0, 1],
      ],
      [
        [2, 9, 40],
        [1, 2],
      ],
    ];
    for (const dtype of DTYPES)
      for (const [shape, axes] of shapes)
        for (const op of ['sum', 'max'] as const) {
          if (op === 'max' && axes[0] === 0) continue;
          const size = shape.reduce((a, b) => a * b, 1);
          const src = randomArray(dtype, size, size);
          const outSize = shape.filter((_, d) => !axes.includes(d)).reduce((a, b) => a * b, 1);
          sameBits((be) => {
            const out = output(be, dtype, Math.max(outSize, MIN_RESIDENT_BYTES / es(dtype))).subarray(0, outSize);
            be.reduce(op, place(be, src), shape, axes, out);
            return out;
          });
        }
  });

  it('matmul with in-place output (whole tiles) and padded output, strided operands', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DTYPES),
        fc.constantFrom(16, 24, 30),
        fc.constantFrom(17, 32),
        fc.constantFrom(32, 40, 21),
        fc.boolean(),
        fc.integer({ min: 0, max: 1e9 }),
        (dtype, m, k, n, transposed, seed) => {
          const va = randomArray(dtype, m * k + 3, seed);
          const vb = randomArray(dtype, k * n + 3, seed + 1);
          sameBits((be) => {
            const a = place(be, va);
            const b = place(be, vb);
            const out = output(be, dtype, Math.max(m * n, 1024));
            be.matmul(
              { data: a, offset: 3, strides: transposed ? [1, m] : [k, 1] },
              { data: b, offset: 1, strides: [n, 1] },
              [],
              m,
              k,
              n,
              out,
            );
            return out;
          });
        },
      ),
      { numRuns: 20 },
    );
  });

  it('threaded matmul reads resident operands in place and writes the result in place', async () => {
    const one = createWasmBackend({ threads: 2, threadThreshold: 0 });
    expect(await one.threadsReady()).toBe(2);
    const [m, k, n] = [64, 48, 64];
    for (const dtype of DTYPES) {
      const a = one.alloc!(dtype, m * k)!;
      a.set(randomArray(dtype, m * k, 1));
      const b = one.alloc!(dtype, k * n)!;
      b.set(randomArray(dtype, k * n, 2));
      const got = one.alloc!(dtype, m * n)!;
      one.matmul({ data: a, offset: 0, strides: [k, 1] }, { data: b, offset: 0, strides: [n, 1] }, [], m, k, n, got);
      const want = dtype === 'float64' ? new Float64Array(m * n) : new Float32Array(m * n);
      staged.matmul({ data: a.slice(), offset: 0, strides: [k, 1] }, { data: b.slice(), offset: 0, strides: [n, 1] }, [], m, k, n, want);
      expect(bytesOf(got)).toEqual(bytesOf(want));
    }
    one.dispose();
  });

  it('cumsum, scatter-add and the window kernels', () => {
    const g: WindowGeometry = { height: 9, width: 11, padding: [1, 1], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], out: [9, 11] };
    for (const dtype of DTYPES) {
      const shape = [6, 50, 7];
      const src = randomArray(dtype, 2100, 3);
      for (const axis of [0, 1, 2])
        for (const reverse of [false, true])
          sameBits((be) => {
            const out = output(be, dtype, 2100);
            be.cumsum(place(be, src), shape, axis, reverse, out);
            return out;
          });
      const indices = Int32Array.from({ length: 40 }, (_, j) => (j * 7) % 12);
      const gsrc = randomArray(dtype, 2 * 40 * 70, 4);
      sameBits((be) => {
        const out = output(be, dtype, 2 * 12 * 70);
        be.scatterAdd(place(be, gsrc), 2, 12, 70, indices, out);
        return out;
      });
      const planes = 6;
      const x = randomArray(dtype, planes * 99, 5);
      const cols = randomArray(dtype, planes * 9 * 99, 6);
      sameBits((be) => {
        const out = output(be, dtype, planes * 9 * 99);
        be.unfold(place(be, x), planes, g, out);
        return out;
      });
      sameBits((be) => {
        const out = output(be, dtype, Math.max(planes * 99, 600));
        be.fold(place(be, cols), planes, g, out);
        return out;
      });
    }
  });
});

/** A fresh shared memory for pool tests. */
function sharedMemory(): WasmMemory {
  return new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }) as unknown as WasmMemory;
}

/** Resident arrays over `memory` (zeroing by TypedArray.fill: the module's memory.fill is the backend's business). */
const residentArrays = (memory: WasmMemory, budget: number) =>
  new ResidentArrays(new BlockPool(memory, 1024), memory, budget, (at, bytes) => new Uint8Array(memory.buffer, at, bytes).fill(0));

describe('the block pool', () => {
  it('size classes: four per power of two, never more than 25% unused, 64-byte multiples', () => {
    for (let bytes = 1; bytes < 1 << 22; bytes = Math.ceil(bytes * 1.07) + 1) {
      const c = sizeClass(bytes);
      expect(c.bytes).toBeGreaterThanOrEqual(bytes);
      expect(c.bytes % 64).toBe(0);
      if (bytes > 1024) expect(c.bytes).toBeLessThanOrEqual(bytes * 1.25 + 1);
      expect(sizeClass(c.bytes)).toEqual(c);
    }
    expect(sizeClass(5000).index).toBeLessThan(sizeClass(6000).index);
  });

  it('reuses a released block, zeroed, before growing the memory', () => {
    const memory = sharedMemory();
    const arrays = residentArrays(memory, 1 << 30);
    const a = arrays.alloc('float32', 3000)!;
    a.fill(7);
    const at = a.byteOffset;
    arrays.release(a);
    arrays.release(a); // twice: no effect
    const b = arrays.alloc('float32', 2900)!; // the same class
    expect(b.byteOffset).toBe(at);
    expect(b.every((v) => v === 0)).toBe(true);
    expect(arrays.stats().liveArrays).toBe(1);
    // Uninitialised blocks skip the fill; the kernels that ask for them write every element.
    b.fill(5);
    arrays.release(b);
    const c = arrays.alloc('float32', 2900, true)!;
    expect(c.byteOffset).toBe(at);
    expect(c[0]).toBe(5);
  });

  it('growth keeps earlier arrays valid and recognised as resident', () => {
    const memory = sharedMemory();
    const pool = new BlockPool(memory, 1024);
    const arrays = new ResidentArrays(pool, memory, 1 << 30, (at, bytes) => new Uint8Array(memory.buffer, at, bytes).fill(0));
    const first = arrays.alloc('float64', 1000)!;
    first.set(randomArray('float64', 1000, 9));
    const copy = first.slice();
    const before = memory.buffer.byteLength;
    const big: TypedArray[] = [];
    for (let i = 0; i < 12; i++) big.push(arrays.alloc('float32', 1 << 20)!);
    expect(memory.buffer.byteLength).toBeGreaterThan(before);
    expect(first.buffer).not.toBe(memory.buffer);
    expect(first).toEqual(copy);
    expect(pool.owns(first.buffer)).toBe(true);
    expect(pool.owns(new ArrayBuffer(8))).toBe(false);
    expect(big.every((b) => pool.owns(b.buffer))).toBe(true);
  });

  it('refuses past its budget, so callers fall back to ordinary arrays', () => {
    const memory = sharedMemory();
    const arrays = residentArrays(memory, 64 * 1024);
    const held: TypedArray[] = [];
    for (let i = 0; i < 100; i++) {
      const a = arrays.alloc('float32', 1024);
      if (a === undefined) break;
      held.push(a);
    }
    expect(held.length).toBe(16);
    expect(arrays.stats().liveBytes).toBe(64 * 1024);
    expect(arrays.alloc('float32', 1024)).toBeUndefined();
    expect(arrays.stats().refused).toBe(2);
    arrays.release(held.pop()!);
    expect(arrays.alloc('float32', 1024)).toBeDefined();
  });

  it('the backend allocates only from the resident minimum, and nothing where tensors are not resident', () => {
    expect(resident.alloc!('float32', MIN_RESIDENT_BYTES / 4 - 1)).toBeUndefined();
    expect(resident.alloc!('float32', MIN_RESIDENT_BYTES / 4)).toBeDefined();
    expect(staged.alloc!('float32', 1 << 16)).toBeUndefined();
    expect(staged.memoryStats()).toBeNull();
  });
});
