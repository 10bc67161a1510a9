// Training steps inside tidy: the parameters a model makes, the buffers it registers and the
// state an optimiser keeps outlive the scope, so a loop of scoped steps trains to the same bits
// as the loop without it, even with every recycled array overwritten after each step.
import { describe, expect, it } from 'vitest';
import { noGrad, rng, randn, tidy, type Tensor } from '@jacobi/tensor';
import { Adam, BatchNorm1d, Linear, SGD, Sequential, fit, mse, trainEpoch, trainStep, type Optimizer } from '@jacobi/nn';
import { fillRecycled } from '../../tensor/src/dtype.js';

const bits = (t: Tensor): number[] => Array.from(t.data());

function training(scoped: boolean, makeOptimizer: (ps: Tensor[]) => Optimizer): number[][] {
  const r = rng(21);
  const x = randn([32, 5], { rng: r });
  const y = randn([32, 2], { rng: r });
  // Made inside a scope when scoped: the model's parameters and buffers must survive it.
  const [model, optimizer] = (scoped ? tidy : (f: () => [Sequential, Optimizer]) => f())(() => {
    const m = new Sequential(
      new Linear(5, 8, { rng: rng(22) }),
      new BatchNorm1d(8),
      (h: Tensor) => h.tanh(),
      new Linear(8, 2, { rng: rng(23) }),
    );
    return [m, makeOptimizer(m.parameters())] as [Sequential, Optimizer];
  });
  const losses: number[] = [];
  for (let s = 0; s < 12; s++) {
    const step = () => trainStep(model, optimizer, mse, x, y);
    losses.push(scoped ? tidy(step) : step());
    if (scoped) fillRecycled();
  }
  const buffers = noGrad(() => model.buffers().map(bits));
  return [losses, ...model.parameters().map(bits), ...buffers];
}

describe('tidy around training steps', () => {
  it('Adam: the same losses, parameters and running statistics as without tidy', () => {
    const adam = (ps: Tensor[]) => new Adam(ps, { lr: 0.01 });
    expect(training(true, adam)).toEqual(training(false, adam));
  });
  it('SGD with momentum: the same as without tidy', () => {
    const sgd = (ps: Tensor[]) => new SGD(ps, { lr: 0.05, momentum: 0.9 });
    expect(training(true, sgd)).toEqual(training(false, sgd));
  });
});

describe('fit and trainEpoch with { tidy: true }', () => {
  const setup = () => {
    const r = rng(31);
    const x = randn([40, 5], { rng: r });
    const y = randn([40, 2], { rng: r });
    const model = new Sequential(
      new Linear(5, 8, { rng: rng(32) }),
      new BatchNorm1d(8),
      (h: Tensor) => h.relu(),
      new Linear(8, 2, { rng: rng(33) }),
    );
    return { x, y, model, optimizer: new Adam(model.parameters(), { lr: 0.01 }) };
  };
  it('trains to the same bits as without it, in both gradient modes', () => {
    for (const mode of ['backward', 'functional'] as const) {
      const run = (scoped: boolean) => {
        const { x, y, model, optimizer } = setup();
        const losses = fit(model, x, y, { optimizer, loss: mse, epochs: 3, batchSize: 16, rng: rng(34), mode, tidy: scoped });
        fillRecycled();
        return [losses, ...model.parameters().map(bits), ...noGrad(() => model.buffers().map(bits))];
      };
      expect(run(true), mode).toEqual(run(false));
    }
  });
  it('ends the tensors of each step with the step', () => {
    for (const scoped of [true, false]) {
      const { x, y, model, optimizer } = setup();
      const seen: Tensor[] = [];
      const loss = (pred: Tensor, target: Tensor) => {
        seen.push(pred);
        return mse(pred, target);
      };
      trainEpoch(model, optimizer, loss, x, y, { batchSize: 20, tidy: scoped });
      expect(
        seen.map((t) => t.isDisposed),
        `tidy: ${scoped}`,
      ).toEqual([scoped, scoped]);
    }
  });
  it('refuses a tidy option that is not a boolean', () => {
    const { x, y, model, optimizer } = setup();
    expect(() => trainEpoch(model, optimizer, mse, x, y, { tidy: 1 as unknown as boolean })).toThrow(
      /^trainEpoch: opts\.tidy must be a boolean, got 1$/,
    );
  });
});
