import { describe, it, expect } from 'vitest';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  grad,
  jit,
  randn,
  rng,
  stack,
  tensor,
  valueAndGrad,
  vmap,
  type Tensor,
} from '@jacobi/tensor';
import { binaryCrossEntropy, halfSquaredError, mse, softmaxCrossEntropy } from '@jacobi/nn';

const f64 = (v: number[][] | number[]) => tensor(v, { dtype: 'float64' });

describe('halfSquaredError (the seed loss E = ½‖X₃ − T‖²)', () => {
  const pred = f64([
    [1, 2],
    [3, 4],
  ]);
  const target = f64([
    [0, 2],
    [1, 1],
  ]);
  it('sums ½(pred − target)²', () => {
    expect(halfSquaredError(pred, target).item()).toBe(7);
    expect(halfSquaredError(pred, target, { reduction: 'mean' }).item()).toBe(1.75);
    expect(halfSquaredError(pred, target, { reduction: 'none' }).toArray()).toEqual([
      [0.5, 0],
      [2, 4.5],
    ]);
  });
  it('has gradient pred − target, as the seed derives', () => {
    expect(grad((p: Tensor) => halfSquaredError(p, target))(pred).toArray()).toEqual([
      [1, 0],
      [2, 3],
    ]);
  });
  it('rejects mismatched shapes', () => {
    expect(() => halfSquaredError(pred, f64([1, 2]))).toThrow(ShapeError);
  });
});

describe('mse', () => {
  it('averages (pred − target)² by default', () => {
    const pred = f64([
      [1, 2],
      [3, 4],
    ]);
    const target = f64([
      [0, 2],
      [1, 1],
    ]);
    expect(mse(pred, target).item()).toBe(3.5);
    expect(mse(pred, target, { reduction: 'sum' }).item()).toBe(14);
    expect(() => mse(pred, target, { reduction: 'max' as never })).toThrow(/reduction must be/);
  });
});

describe('softmaxCrossEntropy with class indices traced by jit or vmap', () => {
  const logits = randn([5, 4], { dtype: 'float64', rng: rng(3) });
  const labels = tensor([3, 0, 1, 1, 2], { dtype: 'int32' });

  it('jit(valueAndGrad) gives the eager loss and gradient, for every reduction', () => {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const loss = (z: Tensor, y: Tensor) => softmaxCrossEntropy(z, y, { reduction }).sum();
      const [value, gradient] = jit(valueAndGrad(loss))(logits, labels);
      const [eagerValue, eagerGradient] = valueAndGrad(loss)(logits, labels);
      expect(value.item()).toBe(eagerValue.item());
      expect(gradient.toArray()).toEqual(eagerGradient.toArray());
    }
  });

  it('vmap(grad) gives the per-example gradients of the loop', () => {
    const w = randn([3, 4], { dtype: 'float64', rng: rng(4) });
    const xs = randn([5, 3], { dtype: 'float64', rng: rng(5) });
    const loss = (p: Tensor, x: Tensor, y: Tensor) => softmaxCrossEntropy(x.reshape([1, 3]).matmul(p), y.reshape([1]));
    const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] })(w, xs, labels);
    const loop = stack([0, 1, 2, 3, 4].map((i) => grad(loss)(w, xs.index(i), labels.index(i))));
    expect(perExample.sub(loop).abs().max().item()).toBeLessThan(1e-15);
  });

  it('refuses out-of-range and negative labels when the step runs, and non-int32 traced labels', () => {
    const step = jit((z: Tensor, y: Tensor) => softmaxCrossEntropy(z, y));
    step(logits, labels);
    expect(() => step(logits, tensor([3, 0, 4, 1, 2], { dtype: 'int32' }))).toThrow(ArgumentError);
    expect(() => step(logits, tensor([3, 0, -1, 1, 2], { dtype: 'int32' }))).toThrow(/out of range for an axis of size 4/);
    expect(() => jit((z: Tensor, y: Tensor) => softmaxCrossEntropy(z, y))(logits, labels.astype('float32'))).toThrow(DTypeError);
  });
});

describe('softmaxCrossEntropy', () => {
  const logits = f64([
    [0, Math.log(3)],
    [0, Math.log(3)],
  ]); // softmax = [¼, ¾] in each row
  it('matches −log softmax at the label', () => {
    expect(softmaxCrossEntropy(logits, [1, 0]).item()).toBeCloseTo((Math.log(4 / 3) + Math.log(4)) / 2, 12);
    expect(softmaxCrossEntropy(logits, f64([1, 0]), { reduction: 'sum' }).item()).toBeCloseTo(Math.log(4 / 3) + Math.log(4), 12);
    expect(softmaxCrossEntropy(logits, [1, 0], { reduction: 'none' }).toArray()).toEqual(
      [Math.log(4 / 3), Math.log(4)].map((v) => expect.closeTo(v, 12)),
    );
  });
  it('takes one-hot and probability targets', () => {
    expect(
      softmaxCrossEntropy(
        logits,
        f64([
          [0, 1],
          [1, 0],
        ]),
      ).item(),
    ).toBeCloseTo(softmaxCrossEntropy(logits, [1, 0]).item(), 12);
    const soft = softmaxCrossEntropy(logits.index(0).reshape([1, 2]), f64([[0.5, 0.5]])).item();
    expect(soft).toBeCloseTo(-(0.5 * Math.log(0.25) + 0.5 * Math.log(0.75)), 12);
  });
  it('is stable for huge logits and has gradient softmax − onehot', () => {
    expect(softmaxCrossEntropy(f64([[1000, 0]]), [1]).item()).toBeCloseTo(1000, 9);
    const g = grad((z: Tensor) => softmaxCrossEntropy(z, [1, 0], { reduction: 'sum' }))(logits);
    expect((g.toArray() as number[][]).flat()).toEqual([0.25, -0.25, -0.75, 0.75].map((v) => expect.closeTo(v, 12)));
  });
  it('rejects bad labels', () => {
    expect(() => softmaxCrossEntropy(logits, [2, 0])).toThrow(/label 0 is 2/);
    expect(() => softmaxCrossEntropy(logits, [1])).toThrow(ShapeError);
    expect(() => softmaxCrossEntropy(logits, f64([[1, 0, 0]]))).toThrow(ShapeError);
  });
});

describe('binaryCrossEntropy', () => {
  it('matches −[t log p + (1−t) log(1−p)]', () => {
    expect(binaryCrossEntropy(f64([0.8, 0.2]), f64([1, 0])).item()).toBeCloseTo(-Math.log(0.8), 12);
    expect(binaryCrossEntropy(f64([0.8, 0.2]), f64([1, 0]), { reduction: 'sum' }).item()).toBeCloseTo(-2 * Math.log(0.8), 12);
    expect(binaryCrossEntropy(f64([0]), f64([1])).item()).toBe(100); // log clamped at −100, like PyTorch
  });
  it('from logits equals the probability form and stays finite', () => {
    expect(binaryCrossEntropy(f64([Math.log(4), -Math.log(4)]), f64([1, 0]), { fromLogits: true }).item()).toBeCloseTo(-Math.log(0.8), 12);
    expect(binaryCrossEntropy(f64([1000]), f64([0]), { fromLogits: true }).item()).toBeCloseTo(1000, 9);
    const g = grad((x: Tensor) => binaryCrossEntropy(x, f64([1]), { fromLogits: true }))(f64([0]));
    expect(g.toArray()).toEqual([-0.5]); // σ(x) − t
  });
});
