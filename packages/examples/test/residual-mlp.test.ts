import { describe, it, expect } from 'vitest';
import { gradcheck, grad, rng, tensor, type Tensor } from '@jacobi/tensor';
import { Adam, accuracy, fit, oneHot, predict, softmaxCrossEntropy } from '@jacobi/nn';
import { ResidualMLP, spirals, swish } from '../src/residual-mlp/model.js';

describe('residual MLP example', () => {
  it('its custom swish op has the derivative of x·σ(x)', () => {
    const x = tensor([-3, -0.5, 0, 0.7, 2], { dtype: 'float64' });
    const byRule = grad((v: Tensor) => swish(v).sum())(x);
    const byComposite = grad((v: Tensor) => v.mul(v.sigmoid()).sum())(x);
    (byRule.toArray() as number[]).forEach((g, i) => expect(g).toBeCloseTo((byComposite.toArray() as number[])[i]!, 12));
    expect(() => gradcheck((v: Tensor) => swish(v).sum(), [x])).not.toThrow();
  });

  it('names its parameters by field and learns the spirals', () => {
    const model = new ResidualMLP({ inFeatures: 2, width: 16, depth: 2, classes: 2, seed: 0 });
    expect(
      model
        .namedParameters()
        .map(([n]) => n)
        .slice(0, 4),
    ).toEqual(['input.weight', 'input.bias', 'blocks.0.inner.weight', 'blocks.0.inner.bias']);
    const { x, labels } = spirals(50, 1);
    const before = accuracy(predict(model, x), labels);
    fit(model, x, oneHot(labels, 2), {
      optimizer: new Adam(model.parameters(), { lr: 0.02 }),
      loss: softmaxCrossEntropy,
      epochs: 60,
      batchSize: 25,
      rng: rng(2),
    });
    expect(accuracy(predict(model, x), labels)).toBeGreaterThan(Math.max(0.9, before));
  });
});
