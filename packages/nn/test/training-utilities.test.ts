import { describe, it, expect } from 'vitest';
import { ArgumentError, tensor, type Tensor } from '@jacobi/tensor';
import {
  Adam,
  ChainedScheduler,
  CosineAnnealingLR,
  LinearLR,
  SGD,
  SequentialLR,
  StepLR,
  clipGradNorm,
  clipGradValue,
  type LRScheduler,
  type SchedulerState,
} from '@jacobi/nn';

function withGrad(values: number[]): Tensor {
  const p = tensor(
    values.map(() => 0),
    { dtype: 'float64', requiresGrad: true },
  );
  p.grad = tensor(values, { dtype: 'float64' });
  return p;
}

describe('clipGradNorm', () => {
  it('scales every gradient by maxNorm / (total + 1e-6) when the total is above, in place', () => {
    const a = withGrad([3]);
    const b = withGrad([4]);
    const held = a.grad!;
    expect(clipGradNorm([a, b], 1)).toBe(5);
    const c = 1 / (5 + 1e-6);
    expect(held.toArray()).toEqual([3 * c]);
    expect(a.grad!.toArray()).toEqual([3 * c]);
    expect(b.grad!.toArray()).toEqual([4 * c]);
  });
  it('leaves gradients under the limit and parameters without one alone', () => {
    const a = withGrad([3, -4]);
    const none = tensor([1], { requiresGrad: true });
    const plain = tensor([1]);
    expect(clipGradNorm([a, none, plain], 10)).toBe(5);
    expect(a.grad!.toArray()).toEqual([3, -4]);
    expect(none.grad).toBeNull();
    expect(clipGradNorm([none], 1)).toBe(0);
  });
  it('other norms: 1, ∞ and p over all gradients together', () => {
    expect(clipGradNorm([withGrad([3, -4]), withGrad([1])], 100, { normType: 1 })).toBe(8);
    expect(clipGradNorm([withGrad([3, -4]), withGrad([1])], 100, { normType: Infinity })).toBe(4);
    expect(clipGradNorm(withGrad([1, 2, 2]), 100, { normType: 3 })).toBeCloseTo(17 ** (1 / 3), 14);
  });
  it('a non-finite total is used as is (as PyTorch), or refused with errorIfNonfinite', () => {
    const a = withGrad([Infinity, 1]);
    expect(clipGradNorm([a], 1)).toBe(Infinity);
    expect(a.grad!.toArray()).toEqual([NaN, 0]);
    const b = withGrad([NaN, 1]);
    expect(clipGradNorm([b], 1)).toBeNaN();
    expect(b.grad!.toArray()).toEqual([NaN, NaN]);
    const c = withGrad([Infinity, 1]);
    expect(() => clipGradNorm([c], 1, { errorIfNonfinite: true })).toThrow(/^clipGradNorm: the total norm of order 2 .* is Infinity/);
    expect(c.grad!.toArray()).toEqual([Infinity, 1]);
  });
  it('refuses bad arguments', () => {
    const a = withGrad([1]);
    expect(() => clipGradNorm([a], -1)).toThrow(/^clipGradNorm: maxNorm must be a number ≥ 0/);
    expect(() => clipGradNorm([a], 1, { normType: 0 })).toThrow(/^clipGradNorm: opts.normType must be a number > 0 or Infinity/);
    expect(() => clipGradNorm([a, 3 as never], 1)).toThrow(/^clipGradNorm: params\[1\] must be a Tensor/);
    expect(() => clipGradNorm({} as never, 1)).toThrow(ArgumentError);
  });
});

describe('clipGradValue', () => {
  it('clamps each element to [−c, c] in place; NaN stays NaN', () => {
    const a = withGrad([3, -4, 0.2, NaN]);
    const held = a.grad!;
    clipGradValue([a], 1);
    expect(held.toArray()).toEqual([1, -1, 0.2, NaN]);
    expect(() => clipGradValue([a], -1)).toThrow(/^clipGradValue: clipValue must be a number ≥ 0/);
  });
});

/** The rate after construction and after each of `n` steps. */
function rates(s: { getLastLr(): number; step(): void }, n: number): number[] {
  const out = [s.getLastLr()];
  for (let i = 0; i < n; i++) {
    s.step();
    out.push(s.getLastLr());
  }
  return out;
}
const sgd = (lr = 1) => new SGD([tensor([0], { requiresGrad: true })], { lr });
const close = (xs: number[]) => xs.map((v) => expect.closeTo(v, 14));

describe('learning-rate schedules', () => {
  it('StepLR: base·γ^⌊epoch/stepSize⌋, written into the optimiser', () => {
    const opt = sgd();
    const s = new StepLR(opt, 2, { gamma: 0.5 });
    expect(rates(s, 4)).toEqual([1, 1, 0.5, 0.5, 0.25]);
    expect(opt.lr).toBe(0.25);
    expect(s.lastEpoch).toBe(4);
  });
  it('CosineAnnealingLR: η_min + (base − η_min)(1 + cos(π·epoch/tMax))/2, back up past tMax', () => {
    expect(rates(new CosineAnnealingLR(sgd(), 2), 4)).toEqual(close([1, 0.5, 0, 0.5, 1]));
    expect(rates(new CosineAnnealingLR(sgd(), 2, { etaMin: 0.2 }), 2)).toEqual(close([1, 0.6, 0.2]));
  });
  it('LinearLR: the factor ramps from startFactor to endFactor, then holds', () => {
    expect(rates(new LinearLR(sgd(), { startFactor: 0.5, totalIters: 2 }), 3)).toEqual(close([0.5, 0.75, 1, 1]));
    expect(rates(new LinearLR(sgd(3)), 6)).toEqual(close([1, 1 + 2 / 5, 1 + 4 / 5, 1 + 6 / 5, 1 + 8 / 5, 3, 3]));
  });
  it('SequentialLR: warm-up then the next schedule, which starts from the base rate', () => {
    const opt = sgd();
    const s = new SequentialLR(opt, [new LinearLR(opt, { startFactor: 0.5, totalIters: 2 }), new StepLR(opt, 1, { gamma: 0.5 })], [2]);
    expect(rates(s, 4)).toEqual(close([0.5, 0.75, 1, 0.5, 0.25]));
  });
  it('ChainedScheduler: the factors multiply', () => {
    const opt = sgd();
    const s = new ChainedScheduler([new LinearLR(opt, { startFactor: 0.5, totalIters: 2 }), new StepLR(opt, 2, { gamma: 0.5 })]);
    expect(rates(s, 4)).toEqual(close([0.5, 0.75, 0.5, 0.5, 0.25]));
  });
  it('drives any optimiser with an lr, Adam or a plain object', () => {
    const adam = new Adam([tensor([0], { requiresGrad: true })], { lr: 0.01 });
    new StepLR(adam, 1).step();
    expect(adam.lr).toBeCloseTo(0.001, 15);
    const owner = { lr: 2 };
    expect(rates(new CosineAnnealingLR(owner, 1), 1)).toEqual([2, 0]);
  });
  it('a rate the optimiser refuses changes nothing', () => {
    let value = 1;
    const picky = {
      get lr() {
        return value;
      },
      set lr(v: number) {
        if (v < 0.3) throw new ArgumentError('picky.lr: too small');
        value = v;
      },
    };
    const s: LRScheduler = new StepLR(picky, 1, { gamma: 0.5 });
    s.step();
    expect(() => s.step()).toThrow(/too small/);
    expect([s.lastEpoch, s.getLastLr(), picky.lr]).toEqual([1, 0.5, 0.5]);
  });
  it('refuses bad arguments, leaving the optimiser as it was', () => {
    const opt = sgd(0.7);
    expect(() => new StepLR(opt, 0)).toThrow(/^StepLR: stepSize must be an integer in \[1,/);
    expect(() => new StepLR(opt, 1, { gamma: -1 })).toThrow(/^StepLR: opts.gamma/);
    expect(() => new CosineAnnealingLR(opt, 1.5)).toThrow(/^CosineAnnealingLR: tMax/);
    expect(() => new LinearLR(opt, { startFactor: 0 })).toThrow(/^LinearLR: opts.startFactor must be in \(0, 1\]/);
    expect(() => new LinearLR(opt, { endFactor: 2 })).toThrow(/^LinearLR: opts.endFactor must be in \[0, 1\]/);
    expect(() => new StepLR({} as never, 1)).toThrow(/^StepLR: optimizer must have a numeric lr/);
    expect(opt.lr).toBe(0.7);
    const warm = new LinearLR(opt);
    const other = new StepLR(sgd(), 1);
    expect(() => new SequentialLR(opt, [warm, other], [2])).toThrow(/^SequentialLR: schedulers\[1\] drives another optimiser/);
    expect(() => new SequentialLR(opt, [warm], [2])).toThrow(/^SequentialLR: milestones must be an array of 0 epochs/);
    expect(() => new ChainedScheduler([])).toThrow(/^ChainedScheduler: schedulers must be a non-empty array/);
  });
});

describe('learning-rate schedule state (resuming training)', () => {
  type Schedule = { step(): void; stateDict(): SchedulerState; loadStateDict(s: SchedulerState): void; getLastLr(): number };
  const builds: [string, (opt: SGD) => Schedule][] = [
    ['StepLR', (opt) => new StepLR(opt, 3, { gamma: 0.5 })],
    ['CosineAnnealingLR', (opt) => new CosineAnnealingLR(opt, 7, { etaMin: 0.01 })],
    ['LinearLR', (opt) => new LinearLR(opt, { startFactor: 0.2, totalIters: 6 })],
    [
      'SequentialLR',
      (opt) => new SequentialLR(opt, [new LinearLR(opt, { startFactor: 0.1, totalIters: 3 }), new CosineAnnealingLR(opt, 8)], [3]),
    ],
    [
      'ChainedScheduler',
      (opt) => new ChainedScheduler([new LinearLR(opt, { startFactor: 0.5, totalIters: 4 }), new StepLR(opt, 2, { gamma: 0.9 })]),
    ],
  ];
  const fresh = () => new SGD([withGrad([1, 2])], { lr: 0.4 });

  for (const [name, build] of builds) {
    it(`${name}: a state saved mid-run (through JSON) resumes the same rates, whichever is loaded first`, () => {
      const opt = fresh();
      const schedule = build(opt);
      for (let i = 0; i < 5; i++) schedule.step();
      const saved = JSON.parse(JSON.stringify(schedule.stateDict())) as SchedulerState;
      const optimizerState = opt.stateDict();
      const ahead: number[] = [];
      for (let i = 0; i < 8; i++) {
        schedule.step();
        ahead.push(opt.lr);
      }
      // The optimiser's state loaded before the schedule is made (whose constructor resets lr), then the schedule's.
      const opt2 = fresh();
      opt2.loadStateDict(optimizerState);
      const resumed = build(opt2);
      resumed.loadStateDict(saved);
      expect(opt2.lr).toBe(saved.lastLr);
      const again: number[] = [];
      for (let i = 0; i < 8; i++) {
        resumed.step();
        again.push(opt2.lr);
      }
      expect(again).toEqual(ahead);
    });
  }

  it('refuses another kind, other settings or malformed state, changing nothing', () => {
    const opt = fresh();
    const schedule = new StepLR(opt, 3, { gamma: 0.5 });
    schedule.step();
    const before = [opt.lr, schedule.lastEpoch, schedule.getLastLr()];
    const good = schedule.stateDict();
    expect(() => schedule.loadStateDict(new LinearLR(fresh()).stateDict())).toThrow(
      /^StepLR\.loadStateDict: state was saved by "LinearLR", not StepLR/,
    );
    expect(() => schedule.loadStateDict(new StepLR(fresh(), 4).stateDict())).toThrow(ArgumentError);
    expect(() => schedule.loadStateDict(new StepLR(fresh(), 4).stateDict())).toThrow(
      /^StepLR\.loadStateDict: state has stepSize 4 where this schedule has 3/,
    );
    expect(() => schedule.loadStateDict({ ...good, lastEpoch: 1.5 })).toThrow(
      /^StepLR\.loadStateDict: state\.lastEpoch must be an integer/,
    );
    expect(() => schedule.loadStateDict({ ...good, lastLr: -1 })).toThrow(/state\.lastLr/);
    expect(() => schedule.loadStateDict(null as never)).toThrow(/must be an object from stateDict\(\)/);
    const sequential = new SequentialLR(opt, [new LinearLR(opt), new StepLR(opt, 2)], [2]);
    const state = sequential.stateDict();
    const broken = { ...state, schedules: [state.schedules![0]!, { ...state.schedules![1]!, type: 'LinearLR' }] };
    const lr = opt.lr;
    expect(() => sequential.loadStateDict(broken)).toThrow(/^SequentialLR\.loadStateDict: state\.schedules\[1\] was saved by "LinearLR"/);
    expect(opt.lr).toBe(lr);
    expect([before[1], before[2]]).toEqual([schedule.lastEpoch, schedule.getLastLr()]);
  });
});
