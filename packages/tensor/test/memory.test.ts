// Tensor storage in the WASM backend's memory: dispose() frees at once (only storage no other
// tensor shares), a disposed tensor refuses every use by name, and a long synchronous loop,
// where no garbage-collection callback can run, stays within the resident budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, getBackend, randn, rng, setBackend, tensor, zeros } from '@jacobi/tensor';
import { createWasmBackend, type WasmBackend } from '@jacobi/tensor/wasm';
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { allocate, releaseArray } from '../src/dtype.js';

const BUDGET = 4 * 2 ** 20;
let wasm: WasmBackend;
let previous: string;

beforeAll(() => {
  previous = getBackend();
  wasm = createWasmBackend({ residentBudget: BUDGET, threads: 1 });
  setBackend(wasm);
});
afterAll(() => setBackend(previous));

const live = () => wasm.memoryStats()!.liveBytes;

describe('dispose', () => {
  it('returns a resident tensor storage at once, for the next tensor of its size', () => {
    const x = randn([64, 64], { rng: rng(1) });
    const y = x.mul(2);
    const before = live();
    const at = (y as unknown as { _view: { data: Float32Array } })._view.data.byteOffset;
    y.dispose();
    expect(live()).toBeLessThan(before);
    const z = x.add(1);
    expect((z as unknown as { _view: { data: Float32Array } })._view.data.byteOffset).toBe(at);
    expect(z.toArray()).toEqual((x.toArray() as number[][]).map((row) => row.map((v) => Math.fround(v + 1))));
  });

  it('a disposed tensor throws an ArgumentError naming the operation; disposing twice does nothing', () => {
    const x = zeros([3, 700]);
    x.dispose();
    x.dispose();
    expect(() => x.add(1)).toThrow(ArgumentError);
    expect(() => x.add(1)).toThrow(/^add: the first operand \(shape \[3,700\]\) was disposed \(Tensor\.dispose\(\)\)/);
    expect(() => tensor(1).mul(x)).toThrow(/^mul: .* was disposed/);
    expect(() => x.exp()).toThrow(/^exp: .* was disposed/);
    expect(() => x.toArray()).toThrow(/was disposed/);
    expect(() => x.data()).toThrow(/was disposed/);
    expect(() => x.sum()).toThrow(/was disposed/);
    expect(() => x.reshape([2100])).toThrow(/was disposed/);
    // The shape stays readable (for messages and printing of shapes).
    expect(x.shape).toEqual([3, 700]);
  });

  it('disposing a tensor whose storage views share keeps the storage for them', () => {
    const x = randn([32, 40], { rng: rng(2) });
    const values = x.toArray();
    const view = x.reshape([40, 32]);
    const t = x.T;
    x.dispose();
    // Tensors of x's size now: they would take x's block if dispose had freed it.
    const others = Array.from({ length: 4 }, () => zeros([32, 40]).add(7));
    expect(view.reshape([32, 40]).toArray()).toEqual(values);
    expect(t.T.toArray()).toEqual(values);
    expect((others[0]!.toArray() as number[][])[0]).toEqual(new Array(40).fill(7));
    // Disposing the views, too, does not free a block any of them may still name.
    view.dispose();
    expect(t.T.toArray()).toEqual(values);
  });

  it('Symbol.dispose is dispose (what `using` calls)', () => {
    const x = zeros([1024]);
    x[Symbol.dispose]();
    expect(() => x.neg()).toThrow(/^neg: .* was disposed/);
  });
});

describe('bounded memory', () => {
  it('a long synchronous loop stays within the budget (past it tensors are ordinary arrays) and computes the same', () => {
    const r = rng(3);
    const a = randn([1 << 16], { rng: r });
    const b = randn([1 << 16], { rng: r });
    const c = randn([1 << 16], { rng: r });
    let highest = 0;
    let last = a;
    for (let i = 0; i < 400; i++) {
      last = a.mul(b).add(c).tanh();
      highest = Math.max(highest, live());
    }
    expect(highest).toBeLessThanOrEqual(BUDGET);
    expect(wasm.memoryStats()!.refused).toBeGreaterThan(0);
    setBackend('js');
    const want = a.mul(b).add(c).tanh();
    setBackend(wasm);
    const got = last.data();
    const ref = want.data();
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!));
    expect(worst).toBeLessThan(1e-6);
  });

  it('the same loop releasing its intermediates stays at a few blocks', () => {
    const r = rng(4);
    const a = randn([1 << 16], { rng: r });
    const start = live();
    for (let i = 0; i < 400; i++) {
      const t = a.mul(a);
      const u = t.exp();
      t.dispose();
      u.dispose();
    }
    expect(live()).toBe(start);
  });

  it('releaseArray returns an allocated array; arrays of no backend are left alone', () => {
    const data = allocate('float64', 4096);
    expect(data.buffer).toBeInstanceOf(SharedArrayBuffer);
    const before = live();
    releaseArray(data);
    const after = live();
    expect(after).toBeLessThan(before);
    releaseArray(new Float64Array(4096));
    releaseArray(data); // twice: the block may be another array's by now, so nothing happens
    expect(live()).toBe(after);
  });
});

// A full collection on demand (what `node --expose-gc` gives), without flags for the whole suite.
v8.setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

describe('collection', () => {
  it('dead resident tensors of a synchronous loop come back once the event loop turns, and live ones keep their values', async () => {
    const r = rng(5);
    const a = randn([1 << 16], { rng: r });
    const kept = a.mul(2);
    const keptView = kept.reshape([256, 256]).T;
    const want = kept.data();
    // Only a view survives: the tensor that computed the storage is garbage at once.
    const viewOnly = a.mul(3).reshape([256, 256]).T.slice(0, 10, 200);
    const wantView = viewOnly.data();
    for (let i = 0; i < 200; i++) a.mul(a);
    const full = live();
    expect(full).toBeGreaterThan(BUDGET / 2);
    expect(wasm.memoryStats()!.collectionHints).toBeGreaterThan(0);
    collect();
    for (let turn = 0; turn < 100 && live() > full / 2; turn++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(live()).toBeLessThan(full / 2);
    // The freed blocks are reused by new tensors; the ones still referenced were not freed.
    const others = Array.from({ length: 8 }, () => a.add(1));
    expect(kept.data()).toEqual(want);
    expect(keptView.T.reshape([1 << 16]).data()).toEqual(want);
    expect(others[7]!.data()).toEqual(a.add(1).data());
    expect(viewOnly.data()).toEqual(wantView);
  });
});
