// Learning-rate schedules that drive any optimiser through its `lr` property, with PyTorch's
// semantics: constructing a schedule sets epoch 0's rate, each `step()` (once per epoch, after
// `optimizer.step()`) moves to the next epoch. Rates are updated from the optimiser's current
// one, as PyTorch's chainable forms, so schedules compose (ChainedScheduler) and a SequentialLR
// hands the optimiser from one to the next.
import { ArgumentError } from '@jacobi/tensor';
import { checkInteger, checkNumber, checkOptions, describeValue } from '../validate.js';

/** What a schedule drives: anything with a writable numeric `lr` (`SGD`, `Adam`, `AdamW`, your own `Optimizer`). */
export interface LearningRateOwner {
  /** The learning rate, read and written by the schedule. */
  lr: number;
}

/**
 * The learning rate each optimiser had when its first schedule was made (PyTorch's
 * `initial_lr` in the parameter group): later schedules take it as their base rate, and
 * SequentialLR restores it.
 */
const INITIAL_LR = new WeakMap<LearningRateOwner, number>();

// Symbol-keyed, so that only SequentialLR (in this module) reaches them.
const RESTART: unique symbol = Symbol('restart');
const REWIND: unique symbol = Symbol('rewind');
const INITIAL_STEP: unique symbol = Symbol('initialStep');

function checkOwner(op: string, value: unknown): LearningRateOwner {
  const lr: unknown = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).lr : undefined;
  if (typeof lr !== 'number')
    throw new ArgumentError(`${op}: optimizer must have a numeric lr (SGD, Adam, AdamW, ...), got ${describeValue(value)}`);
  return value as LearningRateOwner;
}

/**
 * A schedule's state, as `stateDict()` returns it and `loadStateDict()` takes it: plain data
 * (JSON-safe), like PyTorch's scheduler `state_dict()`.
 */
export interface SchedulerState {
  /** The schedule's class: `'StepLR'`, `'SequentialLR'`, … */
  readonly type: string;
  /** The epoch whose rate is set. */
  readonly lastEpoch: number;
  /** The rate the schedule set last. */
  readonly lastLr: number;
  /** The schedule's settings (`stepSize`, `gamma`, `milestones`, …): a loaded state must have the same. */
  readonly settings: Readonly<Record<string, number | readonly number[]>>;
  /** A single schedule's base rate (PyTorch's `base_lrs`). */
  readonly baseLr?: number;
  /** A single schedule's count of rates set (PyTorch's `_step_count`). */
  readonly stepCount?: number;
  /** SequentialLR's and ChainedScheduler's schedules, in order. */
  readonly schedules?: readonly SchedulerState[];
}

// Symbol-keyed, like the ones above: a composite schedule checks every inner state before any applies.
const PREPARE: unique symbol = Symbol('prepare');
const SETTINGS: unique symbol = Symbol('settings');

/**
 * Where `saved` differs from the settings `own` (own data properties only; arrays compared by
 * length first), worded for a message; null if it holds exactly them.
 */
function settingsDifference(saved: unknown, own: Readonly<Record<string, number | readonly number[]>>): string | null {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return `settings ${describeValue(saved)}`;
  const keys = Object.keys(own);
  const extra = Object.keys(saved).find((k) => !keys.includes(k));
  if (extra !== undefined) return `a setting ${describeValue(extra)} this schedule does not have`;
  for (const k of keys) {
    const d = Object.getOwnPropertyDescriptor(saved, k);
    const theirs: unknown = d !== undefined && 'value' in d ? d.value : undefined;
    const mine = own[k]!;
    const same =
      typeof mine === 'number'
        ? theirs === mine
        : Array.isArray(theirs) && theirs.length === mine.length && mine.every((m, i) => Object.hasOwn(theirs, i) && theirs[i] === m);
    if (!same) return `${k} ${describeValue(theirs)} where this schedule has ${JSON.stringify(mine)}`;
  }
  return null;
}

/** The checks of a loaded state, with errors naming `op` (e.g. `StepLR.loadStateDict`). */
class StateReader {
  constructor(
    readonly op: string,
    readonly state: unknown,
    readonly where = 'state',
  ) {
    if (typeof state !== 'object' || state === null || Array.isArray(state))
      throw new ArgumentError(`${op}: ${where} must be an object from stateDict(), got ${describeValue(state)}`);
  }

  field(key: string): unknown {
    return Object.hasOwn(this.state as object, key) ? (this.state as Record<string, unknown>)[key] : undefined;
  }

  type(expected: string): void {
    const type = this.field('type');
    if (type !== expected) throw new ArgumentError(`${this.op}: ${this.where} was saved by ${describeValue(type)}, not ${expected}`);
  }

  integer(key: string, min: number): number {
    return checkInteger(this.op, `${this.where}.${key}`, this.field(key), min);
  }

  rate(key: string): number {
    return checkNumber(this.op, `${this.where}.${key}`, this.field(key), 0);
  }

  /** The saved settings must be this schedule's: a state is resumed, not reconfigured. */
  settings(own: Readonly<Record<string, number | readonly number[]>>): void {
    const difference = settingsDifference(this.field('settings'), own);
    if (difference !== null)
      throw new ArgumentError(`${this.op}: ${this.where} has ${difference} (a state resumes a schedule built the same way)`);
  }

  schedules(count: number): unknown[] {
    const list = this.field('schedules');
    if (!Array.isArray(list) || list.length !== count)
      throw new ArgumentError(
        `${this.op}: ${this.where}.schedules must be an array of ${count} schedule states, got ${describeValue(list)}`,
      );
    return list as unknown[];
  }
}

/**
 * Base class of the schedules (PyTorch's `LRScheduler`). A subclass writes `nextLr()`, the rate
 * of `lastEpoch` from the optimiser's current rate, and `closedFormLr()`, the rate of `lastEpoch`
 * from the base rate alone (used when a SequentialLR starts it).
 */
export abstract class LRScheduler {
  /** The optimiser whose `lr` this schedule sets. */
  readonly optimizer: LearningRateOwner;
  readonly #type: string;
  #baseLr: number;
  #lastEpoch = -1;
  #stepCount = 0;
  #lastLr: number;

  /** Records the base rate; the subclass's constructor then calls `initialStep()`. */
  protected constructor(op: string, optimizer: LearningRateOwner) {
    this.optimizer = checkOwner(op, optimizer);
    this.#type = op;
    if (!INITIAL_LR.has(this.optimizer)) INITIAL_LR.set(this.optimizer, this.optimizer.lr);
    this.#baseLr = INITIAL_LR.get(this.optimizer)!;
    this.#lastLr = this.optimizer.lr;
  }

  /** The rate the schedule starts from: the optimiser's `lr` when its first schedule was made (or the loaded state's). */
  get baseLr(): number {
    return this.#baseLr;
  }

  /** The schedule's settings, as its state records them. */
  protected abstract [SETTINGS](): Record<string, number>;

  /** The schedule's state (PyTorch's `state_dict()`): epoch, rates, settings; plain data. */
  stateDict(): SchedulerState {
    return {
      type: this.#type,
      lastEpoch: this.#lastEpoch,
      lastLr: this.#lastLr,
      settings: this[SETTINGS](),
      baseLr: this.#baseLr,
      stepCount: this.#stepCount,
    };
  }

  /**
   * Resumes from `stateDict()`'s state: the epoch, the base rate and the last rate, which is also
   * set as the optimiser's `lr` (so the order of loading the optimiser and the schedule does not
   * matter). The state must come from a schedule of this class with these settings; everything
   * is checked before anything changes.
   */
  loadStateDict(state: SchedulerState): void {
    const apply = this[PREPARE](`${this.#type}.loadStateDict`, state, 'state');
    // First the optimiser, which may refuse the rate: then nothing has changed.
    this.optimizer.lr = state.lastLr;
    apply();
  }

  /** @internal Checks `state` and returns what applies it (without setting the optimiser's rate). */
  [PREPARE](op: string, state: unknown, where: string): () => void {
    const r = new StateReader(op, state, where);
    r.type(this.#type);
    r.settings(this[SETTINGS]());
    const lastEpoch = r.integer('lastEpoch', -1);
    const stepCount = r.integer('stepCount', 0);
    const lastLr = r.rate('lastLr');
    const baseLr = r.rate('baseLr');
    return () => {
      this.#lastEpoch = lastEpoch;
      this.#stepCount = stepCount;
      this.#lastLr = lastLr;
      this.#baseLr = baseLr;
      INITIAL_LR.set(this.optimizer, baseLr);
    };
  }

  /** The epoch whose rate is set: 0 after construction, +1 per `step()` (PyTorch's `last_epoch`). */
  get lastEpoch(): number {
    return this.#lastEpoch;
  }

  /** How many times the rate was set, construction included (PyTorch's `_step_count`). */
  protected get stepCount(): number {
    return this.#stepCount;
  }

  /** The rate of `lastEpoch`, computed from the optimiser's current `lr`. */
  protected abstract nextLr(): number;

  /** The rate of `lastEpoch`, computed from `baseLr` alone. */
  protected abstract closedFormLr(): number;

  /** Sets epoch 0's rate; each subclass's constructor ends with it, once its fields are set. */
  protected initialStep(): void {
    this.#stepCount = 0;
    this.step();
  }

  /** Moves to the next epoch and sets the optimiser's `lr` to its rate. If the optimiser refuses the rate, nothing changes. */
  step(): void {
    this.#advance(this.#lastEpoch + 1, false);
  }

  /** The rate this schedule set last (PyTorch's `get_last_lr()[0]`: jacobi's optimisers have one rate, no parameter groups). */
  getLastLr(): number {
    return this.#lastLr;
  }

  /** @internal SequentialLR's way in: restarts at `epoch` with the closed form. */
  [RESTART](epoch: number): void {
    this.#advance(epoch, true);
  }

  /** @internal SequentialLR's way in: moves back one epoch without setting a rate (PyTorch's `last_epoch -= 1`). */
  [REWIND](): void {
    this.#lastEpoch -= 1;
  }

  /** @internal SequentialLR's way in: sets epoch 0's rate again. */
  [INITIAL_STEP](): void {
    this.initialStep();
  }

  #advance(epoch: number, closedForm: boolean): void {
    const previous = { epoch: this.#lastEpoch, count: this.#stepCount };
    this.#lastEpoch = epoch;
    this.#stepCount += 1;
    try {
      const lr = closedForm ? this.closedFormLr() : this.nextLr();
      this.optimizer.lr = lr;
      this.#lastLr = this.optimizer.lr;
    } catch (e) {
      this.#lastEpoch = previous.epoch;
      this.#stepCount = previous.count;
      throw e;
    }
  }
}

/** Options of `StepLR`. */
export interface StepLROptions {
  /** The factor γ applied every `stepSize` epochs (default 0.1). */
  gamma?: number;
}

/**
 * Multiplies the rate by γ every `stepSize` epochs: lr = base·γ^⌊epoch/stepSize⌋ (PyTorch's `StepLR`).
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * const schedule = new StepLR(opt, 30, { gamma: 0.1 }); // 0.1 for epochs 0–29, 0.01 for 30–59, …
 * for (let epoch = 0; epoch < 90; epoch++) { trainEpoch(model, opt, loss, x, y); schedule.step(); }
 */
export class StepLR extends LRScheduler {
  /** Epochs between decays, an integer ≥ 1. */
  readonly stepSize: number;
  /** The decay factor γ ≥ 0. */
  readonly gamma: number;

  constructor(optimizer: LearningRateOwner, stepSize: number, opts: StepLROptions = {}) {
    const op = 'StepLR';
    // Arguments first: a refused schedule leaves the optimiser untouched.
    const size = checkInteger(op, 'stepSize', stepSize, 1);
    const o = checkOptions(op, opts);
    const gamma = o.gamma === undefined ? 0.1 : checkNumber(op, 'opts.gamma', o.gamma, 0);
    super(op, optimizer);
    this.stepSize = size;
    this.gamma = gamma;
    this.initialStep();
  }

  protected nextLr(): number {
    const e = this.lastEpoch;
    return e === 0 || e % this.stepSize !== 0 ? this.optimizer.lr : this.optimizer.lr * this.gamma;
  }

  protected [SETTINGS](): Record<string, number> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected closedFormLr(): number {
    return this.baseLr * this.gamma ** Math.floor(this.lastEpoch / this.stepSize);
  }
}

/** Options of `CosineAnnealingLR`. */
export interface CosineAnnealingLROptions {
  /** The rate at epoch `tMax`, η_min ≥ 0 (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing from the base rate to η_min over `tMax` epochs (PyTorch's
 * `CosineAnnealingLR`, without restarts): lr = η_min + (base − η_min)·(1 + cos(π·epoch/tMax))/2.
 * Past `tMax` it follows the cosine back up, as PyTorch; stop stepping (or chain a SequentialLR) to hold η_min.
 *
 * @example
 * const schedule = new CosineAnnealingLR(new Adam(model.parameters(), { lr: 1e-3 }), 100);
 */
export class CosineAnnealingLR extends LRScheduler {
  /** The half-period in epochs, an integer ≥ 1. */
  readonly tMax: number;
  /** The smallest rate, η_min ≥ 0. */
  readonly etaMin: number;

  constructor(optimizer: LearningRateOwner, tMax: number, opts: CosineAnnealingLROptions = {}) {
    const op = 'CosineAnnealingLR';
    const half = checkInteger(op, 'tMax', tMax, 1);
    const o = checkOptions(op, opts);
    const etaMin = o.etaMin === undefined ? 0 : checkNumber(op, 'opts.etaMin', o.etaMin, 0);
    super(op, optimizer);
    this.tMax = half;
    this.etaMin = etaMin;
    this.initialStep();
  }

  protected nextLr(): number {
    const { lastEpoch: e, tMax: T, etaMin, baseLr } = this;
    const lr = this.optimizer.lr;
    if (e === 0) return lr;
    if (this.stepCount === 1 && e > 0) return this.closedFormLr();
    // NOTE: at the trough (e − 1 = T mod 2T) the ratio below is 0/0; PyTorch steps by the cosine's increment there instead.
    if ((e - 1 - T) % (2 * T) === 0) return lr + ((baseLr - etaMin) * (1 - Math.cos(Math.PI / T))) / 2;
    return ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - etaMin) + etaMin;
  }

  protected [SETTINGS](): Record<string, number> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected closedFormLr(): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2;
  }
}

/** Options of `LinearLR`, with PyTorch's defaults. */
export interface LinearLROptions {
  /** The factor of the base rate at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** The factor reached at epoch `totalIters` and kept after, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs of the ramp, an integer ≥ 1 (default 5). */
  totalIters?: number;
}

/**
 * A linear ramp of the rate's factor from `startFactor` to `endFactor` over `totalIters` epochs,
 * then constant (PyTorch's `LinearLR`): the usual warm-up, alone or as the first schedule of a SequentialLR.
 *
 * @example
 * const opt = new AdamW(model.parameters(), { lr: 1e-3 });
 * const warmup = new LinearLR(opt, { startFactor: 0.01, totalIters: 100 }); // 1e-5 → 1e-3 over 100 steps
 */
export class LinearLR extends LRScheduler {
  /** The factor at epoch 0. */
  readonly startFactor: number;
  /** The factor from epoch `totalIters` on. */
  readonly endFactor: number;
  /** The length of the ramp in epochs. */
  readonly totalIters: number;

  constructor(optimizer: LearningRateOwner, opts: LinearLROptions = {}) {
    const op = 'LinearLR';
    const o = checkOptions(op, opts);
    const start = o.startFactor === undefined ? 1 / 3 : checkNumber(op, 'opts.startFactor', o.startFactor, 0);
    if (start === 0 || start > 1) throw new ArgumentError(`${op}: opts.startFactor must be in (0, 1], got ${describeValue(start)}`);
    const end = o.endFactor === undefined ? 1 : checkNumber(op, 'opts.endFactor', o.endFactor, 0);
    if (end > 1) throw new ArgumentError(`${op}: opts.endFactor must be in [0, 1], got ${describeValue(end)}`);
    const total = o.totalIters === undefined ? 5 : checkInteger(op, 'opts.totalIters', o.totalIters, 1);
    super(op, optimizer);
    this.startFactor = start;
    this.endFactor = end;
    this.totalIters = total;
    this.initialStep();
  }

  protected nextLr(): number {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: n } = this;
    const lr = this.optimizer.lr;
    if (e === 0) return lr * s;
    if (e > n) return lr;
    // The factor goes from s + (f − s)(e − 1)/n to s + (f − s)e/n: their ratio.
    return lr * (1 + (f - s) / (n * s + (e - 1) * (f - s)));
  }

  protected [SETTINGS](): Record<string, number> {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }

  protected closedFormLr(): number {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: n } = this;
    return this.baseLr * (s + ((f - s) * Math.min(n, e)) / n);
  }
}

/** Throws unless `value` is a non-empty array of schedules of one optimiser. */
function checkSchedules(op: string, value: unknown, optimizer?: LearningRateOwner): LRScheduler[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new ArgumentError(`${op}: schedulers must be a non-empty array of schedules, got ${describeValue(value)}`);
  const list = value as unknown[];
  const schedules: LRScheduler[] = [];
  // NOTE: an indexed loop, not forEach, which skips holes: a sparse array must fail at its first hole, not walk 2³² slots.
  for (let i = 0; i < list.length; i++) {
    const s = list[i];
    if (!(s instanceof LRScheduler))
      throw new ArgumentError(`${op}: schedulers[${i}] must be a schedule (StepLR, ...), got ${describeValue(s)}`);
    if (s.optimizer !== (optimizer ?? schedules[0]?.optimizer ?? s.optimizer))
      throw new ArgumentError(`${op}: schedulers[${i}] drives another optimiser; all must drive the same one`);
    schedules.push(s);
  }
  return schedules;
}

/**
 * Runs `schedulers` one after another (PyTorch's `SequentialLR`): the first until epoch
 * `milestones[0]`, where the second starts from the base rate (its closed form at epoch 0), and so
 * on. Construction restores the optimiser's initial rate and restarts the first schedule. Pass
 * schedules made on the same optimiser just before; they are driven only through this one afterwards.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const decay = new CosineAnnealingLR(opt, 95);
 * const schedule = new SequentialLR(opt, [warmup, decay], [5]); // 5 epochs of warm-up, then cosine
 */
export class SequentialLR {
  /** The optimiser all the schedules drive. */
  readonly optimizer: LearningRateOwner;
  readonly #schedules: readonly LRScheduler[];
  readonly #milestones: readonly number[];
  #lastEpoch = 0;
  #lastLr: number;

  constructor(optimizer: LearningRateOwner, schedulers: readonly LRScheduler[], milestones: readonly number[]) {
    const op = 'SequentialLR';
    this.optimizer = checkOwner(op, optimizer);
    const schedules = checkSchedules(op, schedulers, this.optimizer);
    if (!Array.isArray(milestones) || milestones.length !== schedules.length - 1)
      throw new ArgumentError(
        `${op}: milestones must be an array of ${schedules.length - 1} epochs (one fewer than the schedules), got ${describeValue(milestones)}`,
      );
    for (let i = 0; i < milestones.length; i++) checkInteger(op, `milestones[${i}]`, milestones[i], i === 0 ? 1 : milestones[i - 1]! + 1);
    this.#schedules = Object.freeze([...schedules]);
    this.#milestones = Object.freeze([...milestones]);
    // Undo what the schedules' constructors did, then start only the first one.
    this.optimizer.lr = INITIAL_LR.get(this.optimizer) ?? this.optimizer.lr;
    for (const s of schedules) s[REWIND]();
    schedules[0]![INITIAL_STEP]();
    this.#lastLr = schedules[0]!.getLastLr();
  }

  /** The epoch whose rate is set: 0 after construction, +1 per `step()`. */
  get lastEpoch(): number {
    return this.#lastEpoch;
  }

  /** The milestones, a copy. */
  get milestones(): number[] {
    return [...this.#milestones];
  }

  /** Moves to the next epoch: the schedule whose span holds it steps (or, at its milestone, starts). */
  step(): void {
    const epoch = this.#lastEpoch + 1;
    const index = this.#milestones.filter((m) => m <= epoch).length;
    const schedule = this.#schedules[index]!;
    if (index > 0 && this.#milestones[index - 1] === epoch) schedule[RESTART](0);
    else schedule.step();
    this.#lastEpoch = epoch;
    this.#lastLr = schedule.getLastLr();
  }

  /** The rate set last. */
  getLastLr(): number {
    return this.#lastLr;
  }

  /** The state of this schedule and of each of its schedules (see `LRScheduler.stateDict`). */
  stateDict(): SchedulerState {
    return {
      type: 'SequentialLR',
      lastEpoch: this.#lastEpoch,
      lastLr: this.#lastLr,
      settings: { milestones: [...this.#milestones] },
      schedules: this.#schedules.map((s) => s.stateDict()),
    };
  }

  /** Resumes from `stateDict()`'s state (every inner state checked before anything changes); sets the optimiser's `lr` to the last rate. */
  loadStateDict(state: SchedulerState): void {
    const op = 'SequentialLR.loadStateDict';
    const r = new StateReader(op, state);
    r.type('SequentialLR');
    r.settings({ milestones: [...this.#milestones] });
    const lastEpoch = r.integer('lastEpoch', 0);
    const lastLr = r.rate('lastLr');
    const inner = r.schedules(this.#schedules.length).map((x, i) => this.#schedules[i]![PREPARE](op, x, `state.schedules[${i}]`));
    this.optimizer.lr = lastLr;
    for (const apply of inner) apply();
    this.#lastEpoch = lastEpoch;
    this.#lastLr = lastLr;
  }
}

/**
 * Steps every schedule in `schedulers` at each `step()`, in order (PyTorch's `ChainedScheduler`):
 * their factors multiply, e.g. a LinearLR warm-up with a StepLR decay.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 1 });
 * const schedule = new ChainedScheduler([new LinearLR(opt, { startFactor: 0.5, totalIters: 4 }), new StepLR(opt, 2, { gamma: 0.9 })]);
 */
export class ChainedScheduler {
  /** The optimiser all the schedules drive. */
  readonly optimizer: LearningRateOwner;
  readonly #schedules: readonly LRScheduler[];
  #lastLr: number;

  constructor(schedulers: readonly LRScheduler[]) {
    const schedules = checkSchedules('ChainedScheduler', schedulers);
    this.#schedules = Object.freeze([...schedules]);
    this.optimizer = schedules[0]!.optimizer;
    this.#lastLr = this.optimizer.lr;
  }

  /** Steps each schedule in order. */
  step(): void {
    for (const s of this.#schedules) s.step();
    this.#lastLr = this.optimizer.lr;
  }

  /** The optimiser's rate after the last step. */
  getLastLr(): number {
    return this.#lastLr;
  }

  /** The state of each schedule (see `LRScheduler.stateDict`) and the chained rate. */
  stateDict(): SchedulerState {
    return {
      type: 'ChainedScheduler',
      lastEpoch: this.#schedules[0]!.lastEpoch,
      lastLr: this.#lastLr,
      settings: {},
      schedules: this.#schedules.map((s) => s.stateDict()),
    };
  }

  /** Resumes from `stateDict()`'s state (every inner state checked before anything changes); sets the optimiser's `lr` to the chained rate. */
  loadStateDict(state: SchedulerState): void {
    const op = 'ChainedScheduler.loadStateDict';
    const r = new StateReader(op, state);
    r.type('ChainedScheduler');
    r.settings({});
    const lastLr = r.rate('lastLr');
    const inner = r.schedules(this.#schedules.length).map((x, i) => this.#schedules[i]![PREPARE](op, x, `state.schedules[${i}]`));
    this.optimizer.lr = lastLr;
    for (const apply of inner) apply();
    this.#lastLr = lastLr;
  }
}
