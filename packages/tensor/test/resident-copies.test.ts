// The WASM backend's resident copies of reused operands (backend/wasm/resident-copies.ts): a
// fused kernel reads a large array it has seen often from a copy in linear memory. The copy is
// right only while the array keeps its contents, so every test here changes an array's
// contents the two ways the library does (recycling, jit's planned buffers) after its copy was
// made, and compares with a backend that keeps no copies.
import { afterEach, describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { allocateUnfilled, recycle, setRecyclingFloor } from '../src/dtype.js';
import { fromArray } from '../src/core/tensor.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { Arena } from '../src/backend/wasm/arena.js';
import { RESIDENT_COPY_DEFAULTS, ResidentCopies } from '../src/backend/wasm/resident-copies.js';
import type { WasmMemory } from '../src/backend/wasm/wasm-api.js';
import { plannedReplays } from '../src/staging/buffers.js';
import { loweredReplays } from '../src/core/lowered.js';

const initial = J.getBackend();
afterEach(() => {
  J.setBackend(initial);
  setRecyclingFloor();
});

/** Elements of a float32 array at the copies' size floor. */
const N = RESIDENT_COPY_DEFAULTS.minBytes / 4;
const made = (seed: number, n = N, dtype: 'float32' | 'float64' = 'float32'): Tensor =>
  J.randn([n], { rng: J.rng(seed), dtype })
    .mul(1)
    .realize();
const chain = (a: Tensor, b: Tensor, c: Tensor): Tensor => a.mul(b).add(c).tanh().realize();
const bits = (t: Tensor): number[] => Array.from(t.data());
/** The first index where `got` and `want` differ as numbers (NaN equal to NaN), or -1: a miss prints one index, not two long arrays. */
const firstDifference = (got: readonly number[], want: readonly number[]): number =>
  got.length !== want.length ? Math.min(got.length, want.length) : got.findIndex((v, i) => !Object.is(v, want[i]));

/** `f` on the backend that keeps copies (returned) and on one that keeps none, compared bit for bit. */
function same(f: () => Tensor, keep = createWasmBackend()): ReturnType<typeof createWasmBackend> {
  const none = createWasmBackend({ residentCopyBytes: 0 });
  J.setBackend(none);
  const want = bits(f());
  J.setBackend(keep);
  expect(firstDifference(bits(f()), want)).toBe(-1);
  return keep;
}

describe('resident copies', () => {
  it('give the bits of staged operands, at the call that copies and at later ones, float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const [a, b, c] = [1, 2, 3].map((s) => made(s, N + 5, dtype)) as [Tensor, Tensor, Tensor];
      const keep = createWasmBackend();
      const bytes = (N + 5) * (dtype === 'float64' ? 8 : 4);
      for (let call = 0; call < 5; call++) {
        same(() => chain(a, b, c), keep);
        // Copied at the third read.
        expect(keep.residentCopyBytes()).toBe(call < 2 ? 0 : 3 * bytes);
      }
    }
  });

  it('are what the kernel reads once made', () => {
    // White-box: an array is written behind the library's back (no tensor's array ever is), so
    // a kernel that reads its copy gives the old values and one that stages it the new ones.
    const keep = createWasmBackend();
    J.setBackend(keep);
    const [a, b, c] = [1, 2, 3].map((s) => made(s)) as [Tensor, Tensor, Tensor];
    const before = bits(chain(a, b, c));
    for (let call = 0; call < 3; call++) chain(a, b, c).dispose();
    a._view.data.fill(0);
    expect(firstDifference(bits(chain(a, b, c)), before)).toBe(-1);
    J.setBackend(createWasmBackend({ residentCopyBytes: 0 }));
    expect(firstDifference(bits(chain(a, b, c)), before)).toBeGreaterThanOrEqual(0);
  });

  it('are not read for an array recycled since its copy was made', () => {
    // An eager operand of a fused kernel is never recycled (the pending expression that read
    // it took it from its tensor), so the array is handed back here as Tensor.dispose would
    // hand back one its tensor held alone; then it is written for a new tensor.
    setRecyclingFloor(1);
    const keep = createWasmBackend();
    J.setBackend(keep);
    const [a, b, c] = [1, 2, 3].map((s) => made(s)) as [Tensor, Tensor, Tensor];
    for (let call = 0; call < 4; call++) chain(a, b, c).dispose();
    expect(keep.residentCopyBytes()).toBe(3 * N * 4);
    const array = a._view.data;
    recycle(array);
    const again = allocateUnfilled('float32', N);
    expect(again === array).toBe(true);
    again.fill(0.25);
    const fresh = fromArray(again, [N], 'float32');
    const got = bits(chain(fresh, b, c));
    J.setBackend(createWasmBackend({ residentCopyBytes: 0 }));
    expect(firstDifference(got, bits(chain(fresh, b, c)))).toBe(-1);
    // Its old copy was given back; the new contents are copied again at their third read.
    expect(keep.residentCopyBytes()).toBe(2 * N * 4);
  });

  it("are never made of jit's planned buffers, which every replay rewrites", () => {
    // The same kernels without the memory a program is lowered into: jit replays the planned
    // way, writing cumsum's result into a buffer of its own, which the fused step then reads, a
    // new value at every call.
    const keep = createWasmBackend();
    J.setBackend({ ...keep, resident: undefined });
    const f = (x: Tensor): Tensor => x.cumsum(0).mul(0.5).add(1).tanh();
    const jf = J.jit(f);
    const planned = plannedReplays();
    const lowered = loweredReplays();
    for (let call = 0; call < 6; call++) {
      const x = J.randn([64, N / 64], { rng: J.rng(call) });
      expect(firstDifference(bits(jf(x)), bits(f(x)))).toBe(-1);
    }
    expect(plannedReplays() - planned).toBeGreaterThanOrEqual(4);
    expect(loweredReplays()).toBe(lowered);
    expect(keep.residentCopyBytes()).toBe(0);
  });

  it("are never made of a lowered jit program's arrays in linear memory, which every call rewrites", async () => {
    // A lowered program keeps its intermediates at fixed places in the instance's memory; the
    // threaded product reads one from the threads' memory, which must stage it at every call
    // instead of copying it once (the copy would hold the first calls' values).
    const keep = createWasmBackend({ threads: 2, threadThreshold: 1 });
    expect(await keep.threadsReady()).toBe(2);
    J.setBackend(keep);
    const w = J.randn([64, 64], { rng: J.rng(11) });
    const f = (x: Tensor): Tensor => x.mul(2).add(1).matmul(w);
    const jf = J.jit(f);
    const lowered = loweredReplays();
    for (let call = 0; call < 8; call++) {
      const x = J.randn([64, 64], { rng: J.rng(20 + call) });
      expect(firstDifference(bits(jf(x)), bits(f(x))), `call ${call}`).toBe(-1);
    }
    expect(loweredReplays() - lowered).toBeGreaterThanOrEqual(5);
    keep.dispose();
  });

  it("never give back a copy the same call reads, when a call's operands exceed the budget", async () => {
    // Three operands of one call through a budget that holds two: copying the third must not
    // evict the first two (their regions would be reused under the kernel's reads), on the
    // instance's memory, in the threads' (a split fused kernel), and for a threaded product.
    const budget = 2 * RESIDENT_COPY_DEFAULTS.minBytes;
    const [a, b, c] = [1, 2, 3].map((s) => made(s)) as [Tensor, Tensor, Tensor];
    const keep = createWasmBackend({ residentCopyBytes: budget });
    for (let call = 0; call < 5; call++) same(() => chain(a, b, c), keep);
    expect(keep.residentCopyBytes()).toBeLessThanOrEqual(budget);
    const split = createWasmBackend({ residentCopyBytes: budget, threads: 2, fusedThreadThreshold: 1 });
    await split.threadsReady();
    for (let call = 0; call < 5; call++) same(() => chain(a, b, c), split);
    expect(split.residentCopyBytes()).toBeLessThanOrEqual(2 * budget);
    const side = Math.sqrt(N);
    const [w, x] = [5, 6].map((s) => J.randn([side, side], { rng: J.rng(s) })) as [Tensor, Tensor];
    const products = createWasmBackend({ residentCopyBytes: (3 * N * 4) / 2, threads: 2, threadThreshold: 1 });
    await products.threadsReady();
    for (let call = 0; call < 5; call++) same(() => x.matmul(w), products);
    split.dispose();
    products.dispose();
  });

  it('stay within their budget, the least recently read given back first', () => {
    const budget = 2 * RESIDENT_COPY_DEFAULTS.minBytes;
    const keep = createWasmBackend({ residentCopyBytes: budget });
    const inputs = [1, 2, 3, 4].map((s) => made(s));
    const c = made(9, N, 'float32');
    // Four arrays read in turn through a budget of two copies: every read after the first copy
    // evicts one; the results stay right and memory stops growing.
    let grown = 0;
    for (let round = 0; round < 6; round++) {
      for (const x of inputs) {
        same(() => chain(x, x, c), keep);
        expect(keep.residentCopyBytes()).toBeLessThanOrEqual(budget);
      }
      if (round === 2) grown = keep.memoryBytes();
    }
    expect(keep.residentCopyBytes()).toBe(budget);
    expect(keep.memoryBytes()).toBe(grown);
  });

  it("serve the threaded products' operands from copies in the threads' memory", async () => {
    const keep = createWasmBackend({ threads: 2, threadThreshold: 1 });
    // Node starts the workers; without them no product would run threaded, and the counts below would test nothing.
    expect(await keep.threadsReady()).toBe(2);
    // Products of 256 KiB operands: a [256, 256] weight and a [256, 256] input, reused.
    const side = Math.sqrt(N);
    const w = J.randn([side, side], { rng: J.rng(5) });
    const x = J.randn([side, side], { rng: J.rng(6) });
    const none = createWasmBackend({ threads: 2, threadThreshold: 1, residentCopyBytes: 0 });
    await none.threadsReady();
    J.setBackend(none);
    const want = [bits(x.matmul(w)), bits(x.transpose().matmul(w))];
    J.setBackend(keep);
    for (let call = 0; call < 4; call++) {
      expect(firstDifference(bits(x.matmul(w)), want[0]!)).toBe(-1);
      // A transposed view reads the same copy with its own strides.
      expect(firstDifference(bits(x.transpose().matmul(w)), want[1]!)).toBe(-1);
    }
    expect(keep.residentCopyBytes()).toBe(2 * N * 4);
    // The threads' memory copies arrays from 16 KiB (a [64, 64] float32 operand); smaller ones are staged.
    const [p, q] = [7, 8].map((seed) => J.randn([64, 64], { rng: J.rng(seed) })) as [Tensor, Tensor];
    const [u, v] = [9, 10].map((seed) => J.randn([32, 32], { rng: J.rng(seed) })) as [Tensor, Tensor];
    J.setBackend(none);
    const small = [bits(p.matmul(q)), bits(u.matmul(v))];
    J.setBackend(keep);
    for (let call = 0; call < 4; call++) {
      expect(firstDifference(bits(p.matmul(q)), small[0]!)).toBe(-1);
      expect(firstDifference(bits(u.matmul(v)), small[1]!)).toBe(-1);
    }
    expect(keep.residentCopyBytes()).toBe(2 * N * 4 + 2 * 64 * 64 * 4);
    keep.dispose();
    none.dispose();
  });

  it('are off at residentCopyBytes 0, and the option is checked', () => {
    const [a, b, c] = [1, 2, 3].map((s) => made(s)) as [Tensor, Tensor, Tensor];
    const growth = (backend: ReturnType<typeof createWasmBackend>): number => {
      J.setBackend(backend);
      chain(a, b, c).dispose();
      const first = backend.memoryBytes();
      for (let call = 0; call < 6; call++) chain(a, b, c).dispose();
      return backend.memoryBytes() - first;
    };
    const none = createWasmBackend({ residentCopyBytes: 0 });
    expect(growth(none)).toBe(0);
    expect(none.residentCopyBytes()).toBe(0);
    for (const bad of [-1, 0.5, Number.NaN, '1' as unknown as number])
      expect(() => createWasmBackend({ residentCopyBytes: bad })).toThrow(/createWasmBackend: .*residentCopyBytes/);
  });
});

describe('ResidentCopies and the arena', () => {
  const memory = (): WasmMemory => new WebAssembly.Memory({ initial: 1 }) as unknown as WasmMemory;

  it('copy an array at its copyAtUse-th read and keep the copy right for later reads', () => {
    const arena = new Arena(memory());
    const copies = new ResidentCopies(arena, 1 << 20, 16, 2);
    const x = Float64Array.from({ length: 10 }, (_, i) => i * 1.5);
    expect(copies.addressesFor([x])[0]).toBe(-1);
    const at = copies.addressesFor([x])[0]!;
    expect(at).toBeGreaterThanOrEqual(0);
    expect(Array.from(arena.view('float64').subarray(at / 8, at / 8 + 10))).toEqual(Array.from(x));
    expect(copies.addressesFor([x])[0]).toBe(at);
    // Too small, or already in linear memory: never copied.
    const small = new Float64Array(1);
    for (let i = 0; i < 3; i++) expect(copies.addressesFor([small])[0]).toBe(-1);
    const inside = new Float64Array(arena.memoryBuffer, at, 10);
    for (let i = 0; i < 3; i++) expect(copies.addressesFor([inside])[0]).toBe(-1);
  });

  it('copy all of a set of arrays or none of them (addressesOf)', () => {
    const arena = new Arena(memory());
    const copies = new ResidentCopies(arena, 1 << 20, 16, 2);
    const [x, y, z] = [1, 2, 3].map((v) => new Float32Array(8).fill(v)) as [Float32Array, Float32Array, Float32Array];
    expect(copies.addressesOf([x, y])).toBe(null);
    // z is at its first read: no copy is made for x or y either, though they are at their second.
    expect(copies.addressesOf([x, y, z])).toBe(null);
    expect(copies.bytes).toBe(0);
    const at = copies.addressesOf([x, y, z])!;
    expect(at).toHaveLength(3);
    expect(copies.bytes).toBe(3 * 32);
    for (const [k, v] of [x, y, z].entries())
      expect(Array.from(arena.view('float32').subarray(at[k]! / 4, at[k]! / 4 + 8))).toEqual(Array.from(v));
    // A fresh array next to copied ones: none is looked up as copied, and nothing new is made.
    expect(copies.addressesOf([x, new Float32Array(8)])).toBe(null);
    expect(copies.bytes).toBe(3 * 32);
    expect(copies.addressesOf([z, x])).toEqual([at[2], at[0]]);
    // An array never copied (too small) makes the whole set uncopied.
    expect(copies.addressesOf([x, new Float32Array(2)])).toBe(null);
  });

  it("keep a call's copies while they copy its other arrays, within the budget", () => {
    const arena = new Arena(memory());
    // Room for two 64-byte copies.
    const copies = new ResidentCopies(arena, 128, 16, 1);
    const [x, y, z] = [1, 2, 3].map((v) => new Float32Array(16).fill(v)) as [Float32Array, Float32Array, Float32Array];
    const at = copies.addressesFor([x, y, z]);
    // x and y are copied; z does not fit without giving back x or y, which this call reads.
    expect(at[2]).toBe(-1);
    expect(new Set(at.slice(0, 2)).size).toBe(2);
    for (const [k, v] of [x, y].entries()) expect(arena.view('float32')[at[k]! / 4]).toBe(v[0]);
    // All or none: three do not fit together, so none is copied.
    expect(copies.addressesOf([x, y, z])).toBe(null);
    // A later call gives back the least recently read copy that it does not read.
    const next = copies.addressesFor([z, y]);
    expect(next[1]).toBe(at[1]);
    expect(next[0]).toBeGreaterThanOrEqual(0);
    expect(arena.view('float32')[next[0]! / 4]).toBe(3);
    expect(copies.bytes).toBe(128);
  });

  it("lay a pool job's scratch out apart from the last job's (resetApart)", () => {
    const arena = new Arena(memory());
    const base = arena.scratchBase;
    const jobs: [number, number][] = [];
    for (const bytes of [1000, 3000, 500, 500, 2000]) {
      arena.resetApart();
      const at = arena.alloc(bytes);
      jobs.push([at, at + bytes]);
    }
    // Each job's range misses the one before it (none in the lane at the base is larger than every
    // job before it); every other job starts at the base.
    for (let j = 1; j < jobs.length; j++) expect(jobs[j]![0] >= jobs[j - 1]![1] || jobs[j]![1] <= jobs[j - 1]![0]).toBe(true);
    expect(jobs.filter(([at]) => at < base + 64).length).toBe(3);
    // A held region moves the base: the next job starts there.
    const held = arena.hold(100);
    arena.resetApart();
    expect(arena.alloc(8)).toBe(arena.scratchBase);
    arena.release(held);
  });

  it('merge released neighbours and give the top back to the scratch', () => {
    const arena = new Arena(memory());
    const base = arena.scratchBase;
    const [a, b, c] = [100, 200, 300].map((n) => arena.hold(n));
    arena.release(b!);
    arena.release(a!);
    // a and b merged: a region of both their sizes fits where they were.
    const ab = arena.hold(100 + 200 + 64);
    expect(ab).toBe(a);
    arena.release(ab);
    arena.release(c!);
    expect(arena.scratchBase).toBe(base);
    expect(arena.heldBytes).toBe(0);
  });
});
