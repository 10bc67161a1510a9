// scaledDotProductAttention: values against a plain-loop reference, PyTorch 2's mask semantics
// (bool keeps true, float adds, causal is the top-left lower triangle), dropout, and the errors.
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import { expectClose as closeWithin } from './support.js';

/** softmax(q kᵀ · scale + bias) v for one [L, E] / [S, E] / [S, Ev] problem, in plain loops. */
function reference(q: number[][], k: number[][], v: number[][], scale: number, bias: (i: number, j: number) => number): number[][] {
  return q.map((qi, i) => {
    const scores = k.map((kj, j) => qi.reduce((acc, x, e) => acc + x * kj[e]!, 0) * scale + bias(i, j));
    const m = Math.max(...scores);
    const w = scores.map((s) => Math.exp(s - m));
    const total = w.reduce((a, b) => a + b, 0);
    return v[0]!.map((_, c) => w.reduce((acc, wj, j) => acc + (wj / total) * v[j]![c]!, 0));
  });
}

const r = J.rng(3);
const q = J.randn([2, 3, 4], { rng: r, dtype: 'float64' });
const k = J.randn([2, 5, 4], { rng: r, dtype: 'float64' });
const v = J.randn([2, 5, 2], { rng: r, dtype: 'float64' });
const rows = (t: J.Tensor, b: number) => t.index(b).toArray() as number[][];
const expectClose = (actual: J.Tensor, expected: number[][][]) => closeWithin(actual, expected, 1e-12, 1e-12);

describe('scaledDotProductAttention', () => {
  it('is softmax(q kᵀ / √E) v by default', () => {
    const out = J.scaledDotProductAttention(q, k, v);
    expect(out.shape).toEqual([2, 3, 2]);
    expectClose(
      out,
      [0, 1].map((b) => reference(rows(q, b), rows(k, b), rows(v, b), 1 / 2, () => 0)),
    );
  });
  it('adds a float mask and takes a custom scale', () => {
    const bias = J.randn([3, 5], { rng: r, dtype: 'float64' });
    const b = bias.toArray() as number[][];
    expectClose(
      J.scaledDotProductAttention(q, k, v, { mask: bias, scale: 0.3 }),
      [0, 1].map((n) => reference(rows(q, n), rows(k, n), rows(v, n), 0.3, (i, j) => b[i]![j]!)),
    );
  });
  it('keeps the true positions of a bool mask (the others get −∞)', () => {
    const keep = J.tensor([
      [true, false, true, false, false],
      [false, false, false, false, true],
      [true, true, true, true, true],
    ]);
    const kept = keep.toArray() as number[][];
    expectClose(
      J.scaledDotProductAttention(q, k, v, { mask: keep }),
      [0, 1].map((n) => reference(rows(q, n), rows(k, n), rows(v, n), 0.5, (i, j) => (kept[i]![j] ? 0 : -Infinity))),
    );
  });
  it('isCausal is the top-left lower-triangular bool mask (PyTorch: ones(L, S).tril())', () => {
    const tri = J.tensor(Array.from({ length: 3 }, (_, i) => Array.from({ length: 5 }, (_, j) => j <= i)));
    const causal = J.scaledDotProductAttention(q, k, v, { isCausal: true });
    expect(causal.toArray()).toEqual(J.scaledDotProductAttention(q, k, v, { mask: tri }).toArray());
    // Query 0 sees key 0 only, so its output is value row 0.
    expect(causal.index(null, 0).toArray()).toEqual(v.index(null, 0).toArray());
  });
  it('gives NaN for a query whose keys are all masked out, as PyTorch', () => {
    const none = J.full([3, 5], false).index(null, null);
    expect(Number.isNaN(J.scaledDotProductAttention(q, k, v, { mask: none }).index(0, 0, 0).item())).toBe(true);
  });
  it('broadcasts the batch axes (keys and values shared by heads) and keeps float32', () => {
    const q32 = J.randn([2, 3, 1, 4], { rng: r });
    const k32 = J.randn([2, 1, 6, 4], { rng: r });
    const v32 = J.randn([6, 3], { rng: r });
    const out = J.scaledDotProductAttention(q32, k32, v32);
    expect(out.shape).toEqual([2, 3, 1, 3]);
    expect(out.dtype).toBe('float32');
    expect(J.scaledDotProductAttention(q32, k32, v32, { mask: J.zeros([1, 6], { dtype: 'float64' }) }).dtype).toBe('float32');
  });
  it('drops weights with probability p and scales the rest by 1/(1 − p), reproducibly for a seed', () => {
    const ones = J.ones([1, 200, 4], { dtype: 'float64' });
    const vals = J.ones([1, 200, 1], { dtype: 'float64' });
    const a = J.scaledDotProductAttention(ones, ones, vals, { dropoutP: 0.25, rng: J.rng(5) });
    const b = J.scaledDotProductAttention(ones, ones, vals, { dropoutP: 0.25, rng: J.rng(5) });
    expect(a.toArray()).toEqual(b.toArray());
    // Each output is (kept count)/(200 · 0.75) with uniform weights 1/200: mean near 1.
    const mean = a.mean().item();
    expect(mean).toBeGreaterThan(0.95);
    expect(mean).toBeLessThan(1.05);
    // ... so 150 times each output is the whole number of weights kept in its row.
    for (const x of (a.toArray() as number[][][]).flat(2)) expect(Math.abs(x * 150 - Math.round(x * 150))).toBeLessThan(1e-9);
    expect(J.scaledDotProductAttention(ones, ones, vals, { dropoutP: 1 }).sum().item()).toBe(0);
    expect(J.scaledDotProductAttention(ones, ones, vals, { dropoutP: 0 }).toArray()).toEqual(
      J.scaledDotProductAttention(ones, ones, vals).toArray(),
    );
  });
  it('is differentiable: the value gradient is the attention weights summed over queries', () => {
    const w = J.softmax(J.matmul(q, J.swapaxes(k, -2, -1)).mul(0.5), -1);
    const g = J.grad((vv: J.Tensor) => J.scaledDotProductAttention(q, k, vv).sum())(v);
    const expected = w.sum(1).unsqueeze(-1).broadcastTo([2, 5, 2]);
    (g.toArray() as number[][][]).flat(2).forEach((x, i) => expect(x).toBeCloseTo((expected.toArray() as number[][][]).flat(2)[i]!, 12));
  });
  it('refuses bad inputs with typed errors naming the function', () => {
    const f = J.scaledDotProductAttention;
    expect(() => f(q, k, v, { mask: J.ones([3, 5]), isCausal: true })).toThrow(J.ArgumentError);
    expect(() => f(q, k, v, { mask: J.ones([3, 5]), isCausal: true })).toThrow(/^scaledDotProductAttention: .*not both/);
    expect(() => f(q, k.slice(-1, 0, 3), v)).toThrow(J.ShapeError);
    expect(() => f(q, k, v.slice(1, 0, 4))).toThrow(/sequence axis/);
    expect(() => f(q, k, v, { mask: J.ones([4, 5]) })).toThrow(/does not broadcast/);
    expect(() => f(q, k, v, { mask: J.ones([3, 5], { dtype: 'int32' }) })).toThrow(J.DTypeError);
    expect(() => f(q.astype('int32'), k, v)).toThrow(J.DTypeError);
    expect(() => f(J.ones([4]), k, v)).toThrow(/at least 2 axes/);
    expect(() => f(q, k, v, { dropoutP: 1.5 })).toThrow(J.ArgumentError);
    expect(() => f(q, k, v, { scale: Number.NaN })).toThrow(J.ArgumentError);
    expect(() => f(q, k, v, { isCausal: 1 as unknown as boolean })).toThrow(J.ArgumentError);
    expect(() => f(q, k, v, { rng: {} as J.Rng })).toThrow(/opts\.rng/);
    expect(() => f(J.ones([3, 3, 4]), k, v)).toThrow(/batch axes/);
  });
});
