import { describe, it, expect } from 'vitest';
import { ArgumentError, rng, tensor, type Tensor } from '@jacobi/tensor';
import { Adam, AdamW, Dense, SGD, Sequential, halfSquaredError, trainStep, type Optimizer } from '@jacobi/nn';

const param = (v: number) => tensor([v], { dtype: 'float64', requiresGrad: true });
const g = (v: number) => tensor([v], { dtype: 'float64' });
/** Values of p after stepping `opt` with the given gradients one after another. */
function run(opt: Optimizer, p: Tensor, grads: number[]): number[] {
  return grads.map((v) => {
    opt.step([g(v)]);
    return p.item();
  });
}

describe('SGD', () => {
  it('plain: p ← p − ηg', () => {
    const p = param(1);
    expect(run(new SGD([p], { lr: 0.1 }), p, [1, -2])).toEqual([0.9, expect.closeTo(1.1, 14)]);
  });
  it('momentum: b ← μb + g, p ← p − ηb', () => {
    const p = param(1);
    expect(run(new SGD([p], { lr: 0.1, momentum: 0.9 }), p, [1, 1])).toEqual([0.9, 0.71].map((v) => expect.closeTo(v, 14)));
  });
  it('nesterov: p ← p − η(g + μb)', () => {
    const p = param(1);
    expect(run(new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), p, [1, 1])).toEqual(
      [0.81, 0.539].map((v) => expect.closeTo(v, 14)),
    );
  });
  it('weight decay adds λp to the gradient', () => {
    const p = param(1);
    expect(run(new SGD([p], { lr: 0.1, weightDecay: 0.5 }), p, [1])).toEqual([expect.closeTo(0.85, 14)]);
  });
  it('rejects bad options and gradients', () => {
    expect(() => new SGD([param(1)], { lr: -1 })).toThrow(/lr must be a finite number ≥ 0/);
    expect(() => new SGD([param(1)], { lr: 0.1, nesterov: true })).toThrow(ArgumentError);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(ArgumentError);
    expect(() => new SGD([param(1)], { lr: 0.1 }).step([tensor([1, 2])])).toThrow(/gradient 0 has shape \[2\]/);
  });
});

/** Adam as published (Kingma & Ba 2015, Algorithm 1), on plain numbers. */
function adamReference(
  p0: number,
  grads: number[],
  lr: number,
  b1: number,
  b2: number,
  eps: number,
  decay = 0,
  decoupled = false,
): number[] {
  let [p, m, v] = [p0, 0, 0];
  return grads.map((grad, i) => {
    const t = i + 1;
    if (decoupled) p *= 1 - lr * decay;
    const gt = decoupled ? grad : grad + decay * p;
    m = b1 * m + (1 - b1) * gt;
    v = b2 * v + (1 - b2) * gt * gt;
    const mHat = m / (1 - b1 ** t);
    const vHat = v / (1 - b2 ** t);
    p -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    return p;
  });
}

describe('Adam and AdamW', () => {
  const grads = [0.5, -0.2, 0.3, 0.0, 1.5];
  it('first step moves by about lr·sign(g), then follows the published rule', () => {
    const p = param(1);
    const got = run(new Adam([p], { lr: 0.1 }), p, grads);
    expect(got[0]).toBeCloseTo(0.9, 7);
    adamReference(1, grads, 0.1, 0.9, 0.999, 1e-8).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 13));
  });
  it('honours betas, eps and L2 weight decay', () => {
    const p = param(2);
    const got = run(new Adam([p], { lr: 0.05, betas: [0.5, 0.9], eps: 1e-3, weightDecay: 0.1 }), p, grads);
    adamReference(2, grads, 0.05, 0.5, 0.9, 1e-3, 0.1).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 13));
  });
  it('AdamW decays the weight apart from the gradient', () => {
    const p = param(1);
    const got = run(new AdamW([p], { lr: 0.1, weightDecay: 0.1 }), p, grads);
    expect(got[0]).toBeCloseTo(0.89, 7);
    adamReference(1, grads, 0.1, 0.9, 0.999, 1e-8, 0.1, true).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 13));
  });
  it('rejects betas outside [0, 1)', () => {
    expect(() => new Adam([param(1)], { betas: [0.9, 1] })).toThrow(
      /betas must be a pair \[β1, β2\] of numbers in \[0, 1\), got \[0\.9, 1\]/,
    );
  });
});

describe('optimiser state', () => {
  for (const make of [(ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 }), (ps: Tensor[]) => new Adam(ps, { lr: 0.1 })]) {
    it(`restores and continues identically (${make([param(0)]).type})`, () => {
      const a = param(1);
      const optA = make([a]);
      run(optA, a, [0.5, -0.2]);
      const b = param(a.item());
      const optB = make([b]);
      optB.loadStateDict(optA.stateDict());
      expect(run(optB, b, [0.3, 0.7])).toEqual(run(optA, a, [0.3, 0.7]));
    });
  }
  it('refuses a state from another kind or of another shape, changing nothing', () => {
    const sgd = new SGD([param(1)], { lr: 0.1, momentum: 0.9 });
    sgd.step([g(1)]);
    const adam = new Adam([param(1)]);
    expect(() => adam.loadStateDict(sgd.stateDict())).toThrow(/saved by SGD, cannot load into Adam/);
    const other = new SGD([tensor([1, 2], { requiresGrad: true })], { lr: 0.5, momentum: 0.5 });
    expect(() => other.loadStateDict(sgd.stateDict())).toThrow(/buffer '0\.momentum_buffer' has shape \[1\]/);
    expect(other.lr).toBe(0.5);
  });
});

describe('both autodiff styles', () => {
  it('loss.backward() + step() and valueAndGrad give the same training', () => {
    const make = () =>
      new Sequential(
        new Dense(3, 4, { activation: 'tanh', rng: rng(1), dtype: 'float64' }),
        new Dense(4, 2, { rng: rng(2), dtype: 'float64' }),
      );
    const x = tensor(
      [
        [1, 2, 3],
        [-1, 0, 1],
      ],
      { dtype: 'float64' },
    );
    const t = tensor(
      [
        [1, 0],
        [0, 1],
      ],
      { dtype: 'float64' },
    );
    const [m1, m2] = [make(), make()];
    const [o1, o2] = [new Adam(m1.parameters(), { lr: 0.01 }), new Adam(m2.parameters(), { lr: 0.01 })];
    for (let i = 0; i < 3; i++) {
      const l1 = trainStep(m1, o1, halfSquaredError, x, t, 'backward');
      const l2 = trainStep(m2, o2, halfSquaredError, x, t, 'functional');
      expect(l2).toBeCloseTo(l1, 12);
    }
    m1.parameters().forEach((p, i) => expect(p.toArray()).toEqual(m2.parameters()[i]!.toArray()));
  });
});
