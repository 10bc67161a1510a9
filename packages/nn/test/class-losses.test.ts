import { describe, it, expect } from 'vitest';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  grad,
  hessian,
  jit,
  jvp,
  randn,
  rng,
  stack,
  tensor,
  valueAndGrad,
  vmap,
  type Tensor,
} from '@jacobi/tensor';
import { crossEntropy, huberLoss, klDiv, nllLoss, smoothL1Loss } from '@jacobi/nn';

const f64 = (v: number[][] | number[] | number[][][]) => tensor(v, { dtype: 'float64' });
const L4 = Math.log(4);
const L43 = Math.log(4 / 3);
// softmax = [¼, ¾] in each row: −log p = [ln 4, ln 4/3].
const logits = f64([
  [0, Math.log(3)],
  [0, Math.log(3)],
]);

describe('crossEntropy and nllLoss with class indices traced by jit or vmap', () => {
  const x = randn([6, 4, 2], { dtype: 'float64', rng: rng(7) });
  const target = tensor(
    [
      [3, 0],
      [-100, 1],
      [1, 1],
      [2, -100],
      [0, 3],
      [2, 2],
    ],
    { dtype: 'int32' },
  );
  const weight = tensor([0.5, 2, 1, 3], { dtype: 'float64' });
  const variants = [
    ['crossEntropy', (z: Tensor, t: Tensor) => crossEntropy(z, t)],
    ['crossEntropy with weight, smoothing', (z: Tensor, t: Tensor) => crossEntropy(z, t, { weight, labelSmoothing: 0.1 })],
    ['crossEntropy, reduction none', (z: Tensor, t: Tensor) => crossEntropy(z, t, { reduction: 'none' }).sum()],
    ['nllLoss with weight', (z: Tensor, t: Tensor) => nllLoss(z.logSoftmax(1), t, { weight })],
  ] as const;
  for (const [label, loss] of variants) {
    it(`${label}: jit(valueAndGrad) equals eager (ignored targets included)`, () => {
      const [value, gradient] = jit(valueAndGrad(loss))(x, target);
      const [eagerValue, eagerGradient] = valueAndGrad(loss)(x, target);
      expect(value.item()).toBe(eagerValue.item());
      expect(gradient.toArray()).toEqual(eagerGradient.toArray());
    });
  }

  it('vmap(grad) over examples equals the loop; bad indices fail when the step runs', () => {
    const loss = (z: Tensor, t: Tensor) => crossEntropy(z.unsqueeze(0), t.unsqueeze(0), { weight });
    const perExample = vmap(grad(loss))(x, target);
    const loop = stack([0, 1, 2, 3, 4, 5].map((i) => grad(loss)(x.index(i), target.index(i))));
    expect(perExample.sub(loop).abs().max().item()).toBeLessThan(1e-15);
    const step = jit((z: Tensor, t: Tensor) => crossEntropy(z, t));
    step(x, target);
    expect(() => step(x, target.mul(0).add(4))).toThrow(/out of range for an axis of size 4/);
    expect(() => step(x, target.mul(0).sub(1))).toThrow(ArgumentError);
  });
});

describe('crossEntropy (PyTorch layout)', () => {
  it('averages −log softmax at the targets; indices as an array or an int32 tensor', () => {
    expect(crossEntropy(logits, [1, 0]).item()).toBeCloseTo((L43 + L4) / 2, 14);
    expect(crossEntropy(logits, tensor([1, 0], { dtype: 'int32' }), { reduction: 'sum' }).item()).toBeCloseTo(L43 + L4, 14);
    expect(crossEntropy(logits, [1, 0], { reduction: 'none' }).toArray()).toEqual([L43, L4].map((v) => expect.closeTo(v, 14)));
  });
  it('a weighted mean divides by the weights of the targets', () => {
    const weight = f64([2, 1]);
    expect(crossEntropy(logits, [1, 0], { weight }).item()).toBeCloseTo((1 * L43 + 2 * L4) / 3, 14);
    expect(crossEntropy(logits, [1, 0], { weight, reduction: 'none' }).toArray()).toEqual([L43, 2 * L4].map((v) => expect.closeTo(v, 14)));
  });
  it('ignores targets equal to ignoreIndex, in the loss and in the divisor', () => {
    expect(crossEntropy(logits, [1, -100]).item()).toBeCloseTo(L43, 14);
    expect(crossEntropy(logits, [1, 0], { ignoreIndex: 0, weight: f64([5, 1]) }).item()).toBeCloseTo(L43, 14);
    expect(crossEntropy(logits, [1, -100], { reduction: 'none' }).toArray()).toEqual([expect.closeTo(L43, 14), 0]);
    expect(crossEntropy(logits, [-100, -100]).item()).toBeNaN(); // 0/0, as PyTorch
    expect(crossEntropy(logits, [-100, -100], { reduction: 'sum' }).item()).toBe(0);
  });
  it('label smoothing: (1 − ε)·nll + ε/C·Σ_c −log p_c', () => {
    const e = 0.5;
    const expected = (1 - e) * L43 + (e / 2) * (L4 + L43);
    expect(crossEntropy(logits.index({ stop: 1 }), [1], { labelSmoothing: e }).item()).toBeCloseTo(expected, 14);
    // With weights each class's share is weighted, and the mean still divides by the target weights.
    const w = [2, 3];
    const weighted = ((1 - e) * w[1]! * L43 + (e / 2) * (w[0]! * L4 + w[1]! * L43)) / w[1]!;
    expect(crossEntropy(logits.index({ stop: 1 }), [1], { labelSmoothing: e, weight: f64(w) }).item()).toBeCloseTo(weighted, 14);
  });
  it('takes class probabilities of the logits shape (smoothed too)', () => {
    const p = f64([
      [0.5, 0.5],
      [1, 0],
    ]);
    expect(crossEntropy(logits, p).item()).toBeCloseTo((0.5 * L4 + 0.5 * L43 + L4) / 2, 14);
    // ε = 0.5 turns [1, 0] into [0.75, 0.25]; the mean divides by N whatever the weights.
    const weighted = (2 * 0.75 * L4 + 3 * 0.25 * L43) / 2;
    expect(crossEntropy(logits, p, { labelSmoothing: 0.5, weight: f64([2, 3]) }).item()).toBeCloseTo(
      (2 * 0.5 * L4 + 3 * 0.5 * L43) / 2 + weighted,
      14,
    );
  });
  it('classes on axis 1 of [N, C, L] equal the flattened [N·L, C] case', () => {
    const x = f64([
      [
        [1, -2, 0.5],
        [0, 3, -1],
      ],
      [
        [2, 2, 0],
        [-1, 0.5, 1.5],
      ],
    ]); // [N = 2, C = 2, L = 3]
    const t = [
      [0, 1, -100],
      [1, 1, 0],
    ];
    const flat = x.movedim(1, -1).reshape([6, 2]);
    expect(crossEntropy(x, t, { labelSmoothing: 0.2 }).item()).toBeCloseTo(
      crossEntropy(flat, t.flat(), { labelSmoothing: 0.2 }).item(),
      14,
    );
    expect(crossEntropy(x, t, { reduction: 'none' }).shape).toEqual([2, 3]);
  });
  it('a [C] input with a scalar target gives a scalar', () => {
    const y = crossEntropy(f64([0, Math.log(3)]), 0, { reduction: 'none' });
    expect(y.shape).toEqual([]);
    expect(y.item()).toBeCloseTo(L4, 14);
  });
  it('has gradient softmax − target, a Hessian diag(s) − ssᵀ, and forward mode agrees', () => {
    const x = f64([[0, Math.log(3)]]);
    expect(grad((z: Tensor) => crossEntropy(z, [1]))(x).toArray()).toEqual([[0.25, -0.25].map((v) => expect.closeTo(v, 14))]);
    const h = hessian((z: Tensor) => crossEntropy(z.reshape([1, 2]), [1]))(f64([0, Math.log(3)]));
    expect(h.toArray()).toEqual([
      [expect.closeTo(3 / 16, 14), expect.closeTo(-3 / 16, 14)],
      [expect.closeTo(-3 / 16, 14), expect.closeTo(3 / 16, 14)],
    ]);
    const v = f64([[1, 2]]);
    const [, dy] = jvp((z: Tensor) => crossEntropy(z, [1], { labelSmoothing: 0.1 }), [x], [v]);
    const g = grad((z: Tensor) => crossEntropy(z, [1], { labelSmoothing: 0.1 }))(x);
    expect(dy.item()).toBeCloseTo(g.mul(v).sum().item(), 14);
  });
  it('equals nllLoss of logSoftmax over axis 1', () => {
    const weight = f64([0.3, 2]);
    expect(nllLoss(logits.logSoftmax(1), [1, 0], { weight }).item()).toBeCloseTo(crossEntropy(logits, [1, 0], { weight }).item(), 14);
    expect(nllLoss(f64([[0.25, 0.75]]).log(), [1]).item()).toBeCloseTo(L43, 14);
  });
  it('refuses bad input with typed errors naming the function', () => {
    expect(() => crossEntropy(logits, [1, 2])).toThrow(ArgumentError);
    expect(() => crossEntropy(logits, [1, 2])).toThrow(/^crossEntropy: target holds 2 at flat index 1, not a class index in \[0, 2\)/);
    expect(() => crossEntropy(logits, [1, -1])).toThrow(/crossEntropy: target holds -1/);
    expect(() => crossEntropy(logits, [1, 0.5])).toThrow(ArgumentError);
    expect(() => crossEntropy(logits, [1])).toThrow(ShapeError);
    expect(() => crossEntropy(logits, [[1, 0]])).toThrow(/^crossEntropy: class indices must have shape \[2\]/);
    expect(() => crossEntropy(logits, tensor([true, false]))).toThrow(DTypeError);
    expect(() => crossEntropy(logits, f64([1, 0]))).toThrow(/^crossEntropy: class probabilities .* must have the logits' shape/);
    expect(() => crossEntropy(logits, [1, 0], { weight: f64([1, 2, 3]) })).toThrow(ShapeError);
    expect(() => crossEntropy(logits, [1, 0], { weight: tensor([1, 2], { dtype: 'int32' }) })).toThrow(DTypeError);
    expect(() => crossEntropy(logits, [1, 0], { labelSmoothing: 1.5 })).toThrow(/^crossEntropy: opts.labelSmoothing must be in \[0, 1\]/);
    expect(() => crossEntropy(logits, [1, 0], { reduction: 'batchmean' as never })).toThrow(/^crossEntropy: opts.reduction must be/);
    expect(() => crossEntropy(logits, [1, 0], { ignoreIndex: 0.5 })).toThrow(ArgumentError);
    expect(() => crossEntropy(tensor([[1, 2]], { dtype: 'int32' }), [0])).toThrow(DTypeError);
    expect(() => crossEntropy(f64([]).reshape([1, 0]), [0])).toThrow(/has no classes/);
    expect(() => crossEntropy(tensor(1), 0)).toThrow(ShapeError);
    expect(() => crossEntropy(logits, 'a' as never)).toThrow(/^crossEntropy: target must be class indices/);
    expect(() => nllLoss(logits, f64([[0.5, 0.5]]))).toThrow(/^nllLoss: target must hold class indices/);
    expect(() => nllLoss(logits, [1, 0], { labelSmoothing: 0.1 } as never)).toThrow(/^nllLoss: has no labelSmoothing/);
  });
});

describe('huberLoss and smoothL1Loss', () => {
  const pred = f64([0.5, -3]);
  const target = f64([0, 0]);
  it('quadratic below the threshold, linear above', () => {
    expect(huberLoss(pred, target, { reduction: 'none' }).toArray()).toEqual([0.125, 2.5]);
    expect(huberLoss(pred, target).item()).toBe(1.3125);
    expect(huberLoss(pred, target, { delta: 4, reduction: 'sum' }).item()).toBe(0.125 + 4.5);
    expect(smoothL1Loss(pred, target, { beta: 2, reduction: 'none' }).toArray()).toEqual([0.0625, 2]);
    expect(smoothL1Loss(pred, target, { beta: 0, reduction: 'none' }).toArray()).toEqual([0.5, 3]);
  });
  it('gradients: the residual clipped to ±δ; (residual / β) clipped to ±1', () => {
    expect(grad((p: Tensor) => huberLoss(p, target, { reduction: 'sum' }))(pred).toArray()).toEqual([0.5, -1]);
    expect(grad((p: Tensor) => smoothL1Loss(p, target, { beta: 2, reduction: 'sum' }))(pred).toArray()).toEqual([0.25, -1]);
    expect(grad((p: Tensor) => smoothL1Loss(p, target, { beta: 0, reduction: 'sum' }))(pred).toArray()).toEqual([1, -1]);
  });
  it('refuses bad options and shapes', () => {
    expect(() => huberLoss(pred, target, { delta: 0 })).toThrow(/^huberLoss: opts.delta must be a finite number > 0/);
    expect(() => smoothL1Loss(pred, target, { beta: -1 })).toThrow(/^smoothL1Loss: opts.beta/);
    expect(() => huberLoss(pred, f64([1]))).toThrow(ShapeError);
  });
});

describe('klDiv', () => {
  const logQ = f64([[0.5, 0.5]]).log();
  const p = f64([[0.25, 0.75]]);
  const kl = 0.25 * Math.log(0.5) + 0.75 * Math.log(1.5);
  it('Σ p·(log p − log q), with PyTorch’s reductions', () => {
    expect(klDiv(logQ, p, { reduction: 'sum' }).item()).toBeCloseTo(kl, 14);
    expect(klDiv(logQ, p).item()).toBeCloseTo(kl / 2, 14);
    const two = f64([
      [0.5, 0.5],
      [0.9, 0.1],
    ]).log();
    const p2 = f64([
      [0.25, 0.75],
      [0.9, 0.1],
    ]);
    expect(klDiv(two, p2, { reduction: 'batchmean' }).item()).toBeCloseTo(kl / 2, 14);
    const fromLog = klDiv(logQ, p.log(), { reduction: 'none', logTarget: true }).reshape([-1]).toArray() as number[];
    const direct = klDiv(logQ, p, { reduction: 'none' }).reshape([-1]).toArray() as number[];
    expect(fromLog).toEqual(direct.map((v) => expect.closeTo(v, 14)));
  });
  it('p = 0 contributes 0, with a finite gradient', () => {
    const target = f64([[0, 1]]);
    expect(klDiv(logQ, target, { reduction: 'sum' }).item()).toBeCloseTo(Math.log(2), 14);
    expect(
      grad((t: Tensor) => klDiv(logQ, t, { reduction: 'sum' }))(f64([[0, 1]]))
        .reshape([-1])
        .toArray(),
    ).toEqual([Math.log(2), 1 + Math.log(2)].map((v) => expect.closeTo(v, 14)));
    expect(grad((x: Tensor) => klDiv(x, target, { reduction: 'sum' }))(logQ).toArray()).toEqual([[-0, -1]]);
  });
  it('refuses bad options', () => {
    expect(() => klDiv(logQ, p, { reduction: 'max' as never })).toThrow(
      /^klDiv: opts.reduction must be one of 'sum', 'mean', 'none', 'batchmean'/,
    );
    expect(() => klDiv(logQ, p, { logTarget: 1 as never })).toThrow(/^klDiv: opts.logTarget must be a boolean/);
    expect(() => klDiv(logQ, f64([1]))).toThrow(/^klDiv: input of shape \[1,2\] and target/);
  });
});
