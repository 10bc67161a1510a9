// A kernel that asks for its result array unfilled (OutputTarget.array: in Node, memory without
// the zero fill) must write every element of it. The test hook fills every such array with a
// marker first: each op row, and large cases that reach the WASM kernels, must give the same
// bits with and without it. (A kernel that skipped an element would show the marker, or the
// allocator's leftovers without the hook.)
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { allocate, allocateUnfilled, setUnfilledPattern } from '../src/dtype.js';
import { compositeRows, primitiveRows, type ConstantSpec, type OpSpec } from './op-rows.js';
import { RUNS, shapeArb, tensorArb } from './support.js';

const MARKER = 77.25;

/** What `f` returns, as the elements of its tensors. */
function valuesOf(out: Tensor | readonly Tensor[]): number[][] {
  return (Array.isArray(out) ? out : [out as Tensor]).map((t) => Array.from(t.data() as ArrayLike<number>));
}

/** `f()` without and with the marker fill, compared element by element (NaN equals NaN, -0 is not 0). */
function expectSameWithMarker(name: string, f: () => Tensor | readonly Tensor[]): void {
  const plain = valuesOf(f());
  setUnfilledPattern(MARKER);
  let marked: number[][];
  try {
    marked = valuesOf(f());
  } finally {
    setUnfilledPattern(null);
  }
  expect(marked.length, name).toBe(plain.length);
  plain.forEach((values, i) => {
    const m = marked[i]!;
    const differs = values.findIndex((v, j) => !Object.is(v, m[j]));
    if (differs >= 0 || m.length !== values.length) {
      throw new Error(`${name}: output ${i} element ${differs} is ${m[differs]} with the marker fill, ${values[differs]} without`);
    }
  });
}

afterEach(() => setUnfilledPattern(null));

const isConstantSpec = (row: OpSpec | ConstantSpec): row is ConstantSpec => 'constant' in row;
const rows = [...new Set(Object.values(primitiveRows))];

describe('every kernel writes all of an unfilled result', () => {
  for (const row of [...rows, ...compositeRows]) {
    it(row.name, () => {
      const cases = isConstantSpec(row)
        ? fc.sample(
            shapeArb()
              .chain((s) => tensorArb(s, 'awayFromZero'))
              .map((x) => [x]),
            { seed: 7, numRuns: RUNS },
          )
        : fc.sample(row.inputs, { seed: 7, numRuns: RUNS });
      for (const xs of cases) {
        expectSameWithMarker(row.name, () => (isConstantSpec(row) ? row.constant(xs[0]!) : row.fn(...xs)));
      }
    });
  }

  it('at sizes the WASM kernels take (matmul, maps, fused-size chains, reductions, scans, sorts, gathers, conv)', () => {
    const r = J.rng(11);
    const a = J.randn([64, 96], { rng: r });
    const b = J.randn([96, 80], { rng: r });
    const big = J.randn([300, 200], { rng: r });
    const row = J.randn([200], { rng: r });
    const batchA = J.randn([3, 40, 50], { rng: r });
    const batchB = J.randn([50, 30], { rng: r });
    const image = J.randn([2, 3, 12, 12], { rng: r });
    const filters = J.randn([4, 3, 3, 3], { rng: r });
    const index = J.tensor(
      Array.from({ length: 300 }, (_, i) => [(i * 7) % 200]),
      { dtype: 'int32' },
    );
    const cases: [string, () => Tensor | readonly Tensor[]][] = [
      ['matmul', () => a.matmul(b)],
      ['matmul of a transpose', () => b.transpose().matmul(a.transpose())],
      ['batched matmul', () => batchA.matmul(batchB)],
      ['float64 matmul', () => a.astype('float64').matmul(b.astype('float64'))],
      ['broadcast add', () => big.add(row)],
      ['sigmoid, exp, tanh, neg', () => [big.sigmoid(), big.exp(), big.tanh(), big.neg()]],
      ['a chain', () => big.mul(row).add(1).tanh().mul(big)],
      ['comparisons and where', () => J.where(big.greater(row), big, row)],
      ['sums and maxima along each axis', () => [big.sum(0), big.sum(1), big.max(0), big.max(1), big.sum()]],
      ['cumsum along each axis', () => [J.cumsum(big, 0), J.cumsum(big, 1)]],
      ['argsort and sort', () => [J.argsort(big, 1), ...J.sort(big, 0)]],
      ['gather and take', () => [J.gather(big, 1, index), J.take(big, [5, 0, 299], 0)]],
      // data() of a transposed view copies it into an unfilled array.
      ['a strided copy', () => big.transpose()],
      ['casts', () => [big.astype('int32'), big.astype('float64'), big.greater(0).astype('float32')]],
      ['conv2d and maxPool2d', () => [J.conv2d(image, filters, { padding: 1 }), J.maxPool2d(image, { kernelSize: 2 })]],
      ['softmax', () => J.softmax(big, 1)],
    ];
    for (const [name, f] of cases) expectSameWithMarker(name, f);
  });
});

describe('zero-filled allocations', () => {
  it('allocate gives zeros where the small-array slab it carves from holds other bytes', () => {
    // Small arrays share slabs of unfilled memory: write over everything after an unfilled
    // array in its slab, so that whatever allocate carves next starts out as those bytes.
    for (const dtype of ['float32', 'float64', 'int32', 'bool'] as const) {
      const probe = allocateUnfilled(dtype, 8);
      const rest = new Uint8Array(probe.buffer, probe.byteOffset + probe.byteLength);
      rest.fill(0xff);
      for (const size of [1, 7, 100, 1000]) {
        const zeros = allocate(dtype, size);
        const nonzero = Array.from(zeros).findIndex((v) => v !== 0);
        expect(nonzero, `${dtype}[${size}]`).toBe(-1);
      }
    }
  });
});
