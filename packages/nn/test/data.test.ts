import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ArgumentError, ShapeError, rng, tensor } from '@jacobi/tensor';
import { Standardizer, accuracy, miniBatches, oneHot, takeRows, trainTestSplit } from '@jacobi/nn';

describe('oneHot and accuracy', () => {
  it('one-hot encodes and checks labels', () => {
    expect(oneHot([0, 2, 1], 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
    ]);
    expect(() => oneHot([3], 3)).toThrow(/label 0 is 3, expected an integer in \[0, 3\)/);
    expect(() => oneHot([0.5], 3)).toThrow(ArgumentError);
  });
  it('scores argmax against indices or one-hot rows', () => {
    const scores = tensor([
      [0.9, 0.1],
      [0.2, 0.8],
      [0.6, 0.4],
      [0.3, 0.7],
    ]);
    expect(accuracy(scores, [0, 0, 0, 1])).toBe(0.75);
    expect(accuracy(scores, oneHot([0, 1, 0, 1], 2))).toBe(1);
    expect(() => accuracy(scores, [0])).toThrow(ShapeError);
  });
});

describe('trainTestSplit', () => {
  const x = tensor(Array.from({ length: 30 }, (_, i) => [i, 10 * i]));
  const labels = Array.from({ length: 30 }, (_, i) => (i < 15 ? 0 : i < 25 ? 1 : 2));
  it('is a seeded partition that keeps rows aligned', () => {
    const a = trainTestSplit(x, labels, { testSize: 0.2, rng: rng(5) });
    const b = trainTestSplit(x, labels, { testSize: 0.2, rng: rng(5) });
    expect(a.testIndex).toEqual(b.testIndex);
    expect(a.testIndex.length).toBe(6);
    expect([...a.trainIndex, ...a.testIndex].sort((p, q) => p - q)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect((a.xTest.toArray() as number[][]).map((r) => r[0])).toEqual(a.testIndex);
    expect(a.yTest).toEqual(a.testIndex.map((i) => labels[i]));
  });
  it('stratifies by class', () => {
    const s = trainTestSplit(x, labels, { testSize: 0.2, rng: rng(1), stratify: true });
    const count = (c: number) => s.yTest.filter((l) => l === c).length;
    expect([count(0), count(1), count(2)]).toEqual([3, 2, 1]);
  });
  it('rejects bad sizes', () => {
    expect(() => trainTestSplit(x, labels, { testSize: 1.5, rng: rng(0) })).toThrow(ArgumentError);
    expect(() => trainTestSplit(x, [1, 2], { rng: rng(0) })).toThrow(ShapeError);
  });
});

describe('Standardizer', () => {
  it('fits on train and applies the same statistics to test', () => {
    const train = tensor(
      [
        [1, 5],
        [3, 5],
      ],
      { dtype: 'float64' },
    );
    const s = Standardizer.fit(train);
    expect(s.mean.toArray()).toEqual([2, 5]);
    expect(s.std.toArray()).toEqual([1, 1]); // a constant column gets std 1
    expect(s.transform(train).toArray()).toEqual([
      [-1, 0],
      [1, 0],
    ]);
    expect(s.transform(tensor([[4, 7]], { dtype: 'float64' })).toArray()).toEqual([[2, 2]]);
    expect(() => s.transform(tensor([[1, 2, 3]]))).toThrow(ShapeError);
  });
});

describe('miniBatches', () => {
  it('covers every row once per epoch, seeded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50 }), fc.integer(), (n, size, seed) => {
        const x = tensor(Array.from({ length: n }, (_, i) => [i]));
        const y = tensor(Array.from({ length: n }, (_, i) => [-i]));
        const rows = (s: number) =>
          [...miniBatches(x, y, { batchSize: size, rng: rng(s) })].map(([xb, yb]) => {
            expect((yb.toArray() as number[][]).map((r) => -r[0]!)).toEqual((xb.toArray() as number[][]).map((r) => r[0]));
            return (xb.toArray() as number[][]).map((r) => r[0]!);
          });
        const batches = rows(seed);
        expect(batches.every((b, i) => b.length === (i < batches.length - 1 ? size : n - size * (batches.length - 1)))).toBe(true);
        expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(rows(seed)).toEqual(batches);
      }),
      { numRuns: 50 },
    );
  });
  it('drops a short last batch on request and takes rows by index', () => {
    const x = tensor([[0], [1], [2]]);
    expect([...miniBatches(x, x, { batchSize: 2, dropLast: true })].length).toBe(1);
    expect(takeRows(x, [2, 0]).toArray()).toEqual([[2], [0]]);
    expect(() => takeRows(x, [3])).toThrow(/out of range/);
  });
  it('takeRows is differentiable: an embedding table gets the summed gradient of its repeated rows', () => {
    const table = tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { requiresGrad: true },
    );
    takeRows(table, [2, 0, 2])
      .sum(1)
      .mul(tensor([1, 10, 100]))
      .sum()
      .backward();
    expect(table.grad!.toArray()).toEqual([
      [10, 10],
      [0, 0],
      [101, 101],
    ]);
  });
});
