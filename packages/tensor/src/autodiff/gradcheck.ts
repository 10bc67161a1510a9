// gradcheck: compares reverse- and forward-mode derivatives with central finite differences
// in float64, checks the VJP against the JVP by inner products, and repeats all of it for the
// derivatives themselves (second order). The counterpart of PyTorch's gradcheck/gradgradcheck.
import { JacobiError, NotDifferentiableError, TraceError } from '../errors.js';
import { expectBoolean, expectFunction, expectNumber, expectOptions } from '../arguments.js';
import { expectTensorList } from '../ops/operand.js';
import { Tensor, contiguousData, fromArray } from '../core/tensor.js';
import { noGrad, valueOf } from '../core/trace.js';
import { allocate, isFloating } from '../dtype.js';
import { concat } from '../ops/layout.js';
import { checkSeed, rng as makeRng, type Rng } from '../random.js';
import { jvp, vjp, type TensorFunction } from './transforms.js';

/** Tolerances, step and scope of `gradcheck`. */
export interface GradcheckOptions {
  /** Finite-difference step, a positive finite number; default 1e-6. */
  eps?: number;
  /** Absolute tolerance, at least 0; default 1e-5. */
  atol?: number;
  /** Relative tolerance, at least 0; default 1e-3. */
  rtol?: number;
  /** Also check the derivatives of the derivatives; default true. */
  secondOrder?: boolean;
  /** Throw a `GradcheckError` with the report instead of returning a failing one. */
  throwOnFailure?: boolean;
  /** Seed of the random directions of the inner-product checks (as for `rng`); default 0. */
  seed?: number;
}

/** One compared value: which check, which input and element, and both numbers. */
export interface GradcheckMismatch {
  /** The check that compared it (e.g. reverse mode against finite differences). */
  readonly check: string;
  /** Which of the inputs (argument index of `f`). */
  readonly input: number;
  /** Flat index into the compared Jacobian: output element × input element (or -1). */
  readonly outputIndex: number;
  /** Flat (row-major) index of the input element. */
  readonly inputIndex: number;
  /** The value autodiff computed. */
  readonly analytic: number;
  /** The reference value (central finite differences, or the other side of the duality). */
  readonly numeric: number;
  /** |analytic − numeric| / (atol + rtol·|numeric|): above 1 fails. */
  readonly score: number;
}

/** What `gradcheck` found: whether every comparison passed, the checks run and the worst one. */
export interface GradcheckReport {
  /** True when every comparison's score is at most 1. */
  readonly ok: boolean;
  /** The names of the checks that ran. */
  readonly checks: readonly string[];
  /** The worst-scoring comparison over all checks (null if nothing was compared). */
  readonly worst: GradcheckMismatch | null;
}

/** Thrown by `gradcheck` with `throwOnFailure`; carries the report. */
export class GradcheckError extends JacobiError {
  /** @param report - the failing report, kept as `error.report`. */
  constructor(readonly report: GradcheckReport) {
    const w = report.worst!;
    super(
      `gradcheck: ${w.check} derivative of input ${w.input} differs from the reference at output element ${w.outputIndex}, input element ${w.inputIndex}: analytic ${w.analytic}, numeric ${w.numeric}`,
    );
  }
}

interface Settings {
  eps: number;
  atol: number;
  rtol: number;
  random: Rng;
}

class Tracker {
  worst: GradcheckMismatch | null = null;
  readonly checks: string[] = [];
  constructor(private readonly s: Settings) {}
  compare(check: string, input: number, outputIndex: number, inputIndex: number, analytic: number, numeric: number): void {
    const diff = Math.abs(analytic - numeric);
    const score = Number.isNaN(diff)
      ? Number.isNaN(analytic) && Number.isNaN(numeric)
        ? 0
        : Infinity
      : diff / (this.s.atol + this.s.rtol * Math.abs(numeric));
    if (this.worst === null || score > this.worst.score) this.worst = { check, input, outputIndex, inputIndex, analytic, numeric, score };
  }
}

function toFloat64(x: Tensor): Tensor {
  const v = valueOf(x);
  const data = allocate('float64', v.size);
  data.set(contiguousData(v));
  return fromArray(data, v.shape, 'float64');
}

function basis(x: Tensor, i: number): Tensor {
  const data = allocate('float64', x.size);
  data[i] = 1;
  return fromArray(data, x.shape, 'float64');
}

function randomLike(x: { shape: readonly number[]; size: number }, r: Rng): Tensor {
  const data = allocate('float64', x.size);
  for (let i = 0; i < data.length; i++) data[i] = 2 * r.uniform() - 1;
  return fromArray(data, x.shape, 'float64');
}

function zerosLike(x: Tensor): Tensor {
  return fromArray(allocate('float64', x.size), x.shape, 'float64');
}

function values(t: Tensor): Float64Array {
  return Float64Array.from(contiguousData(valueOf(t)));
}

function evaluate(f: TensorFunction, xs: readonly Tensor[]): Tensor {
  const out = noGrad(() => f(...xs));
  if (!(out instanceof Tensor)) throw new TraceError('gradcheck: the function must return a Tensor');
  return out.astype('float64');
}

/** Central differences: column j of the Jacobian w.r.t. input i is (f(x+εe_j) − f(x−εe_j)) / 2ε. */
function numericColumns(f: TensorFunction, xs: readonly Tensor[], i: number, eps: number): Float64Array[] {
  const x = xs[i]!;
  const base = values(x);
  const columns: Float64Array[] = [];
  for (let j = 0; j < x.size; j++) {
    const shifted = (delta: number) => {
      const data = Float64Array.from(base);
      data[j]! += delta;
      const args = [...xs];
      args[i] = fromArray(data, x.shape, 'float64');
      return values(evaluate(f, args));
    };
    const plus = shifted(eps);
    const minus = shifted(-eps);
    columns.push(plus.map((p, k) => (p - minus[k]!) / (2 * eps)));
  }
  return columns;
}

function checkFirstOrder(name: string, f: TensorFunction, xs: readonly Tensor[], s: Settings, t: Tracker): void {
  const out = evaluate(f, xs);
  const f64: TensorFunction = (...args) => f(...args).astype('float64');
  t.checks.push(`${name}: reverse`, `${name}: forward`, `${name}: vjp-jvp duality`);
  const [, pullback] = vjp(f64, ...xs);
  const rows = Array.from({ length: out.size }, (_, r) => pullback(basis(out, r)).map(values));
  xs.forEach((x, i) => {
    const numeric = numericColumns(f64, xs, i, s.eps);
    for (let j = 0; j < x.size; j++) {
      const tangents = xs.map((y, k) => (k === i ? basis(y, j) : zerosLike(y)));
      const forward = values(jvp(f64, xs, tangents)[1]);
      for (let r = 0; r < out.size; r++) {
        t.compare(`${name}: reverse`, i, r, j, rows[r]![i]![j]!, numeric[j]![r]!);
        t.compare(`${name}: forward`, i, r, j, forward[r]!, numeric[j]![r]!);
      }
    }
  });
  // ⟨u, J v⟩ = ⟨Jᵀu, v⟩ for random u, v: the two modes agree as linear maps.
  const u = randomLike(out, s.random);
  const vs = xs.map((x) => randomLike(x, s.random));
  const jv = values(jvp(f64, xs, vs)[1]);
  const jtu = pullback(u).map(values);
  const dot = (p: Float64Array, q: Float64Array) => p.reduce((acc, pk, k) => acc + pk * q[k]!, 0);
  const uv = dot(values(u), jv);
  const tv = jtu.reduce((acc, g, i) => acc + dot(g, values(vs[i]!)), 0);
  t.compare(`${name}: vjp-jvp duality`, -1, -1, -1, tv, uv);
}

/**
 * Checks the derivatives of `f` at `inputs` (cast to float64) against central finite
 * differences, in reverse and forward mode, and their duality; with `secondOrder` (default)
 * also the derivatives of the VJP (reverse-over-reverse, forward-over-reverse) and of the JVP
 * (forward-over-forward).
 *
 * @example
 * gradcheck((x) => x.tanh().sum(), [randn([3])]).ok // true
 */
export function gradcheck(f: TensorFunction, inputs: readonly Tensor[], options?: GradcheckOptions): GradcheckReport {
  expectFunction('gradcheck', 'f', f);
  const given = expectTensorList('gradcheck', inputs);
  given.forEach((x, i) => {
    if (!isFloating(x.dtype))
      throw new NotDifferentiableError(
        `gradcheck: input ${i} has dtype ${x.dtype}; only float inputs can be checked (close over integer ones)`,
      );
  });
  const xs = given.map(toFloat64);
  const opts = expectOptions('gradcheck', options);
  const tolerance = (name: 'atol' | 'rtol', fallback: number) =>
    opts[name] === undefined ? fallback : expectNumber('gradcheck', name, opts[name], { min: 0 });
  const s: Settings = {
    eps: opts.eps === undefined ? 1e-6 : expectNumber('gradcheck', 'eps', opts.eps, { positive: true }),
    atol: tolerance('atol', 1e-5),
    rtol: tolerance('rtol', 1e-3),
    random: makeRng(opts.seed === undefined ? 0 : checkSeed('gradcheck', opts.seed)),
  };
  const secondOrder = expectBoolean('gradcheck', 'secondOrder', opts.secondOrder, true);
  const throwOnFailure = expectBoolean('gradcheck', 'throwOnFailure', opts.throwOnFailure, false);
  const tracker = new Tracker(s);
  checkFirstOrder('first order', f, xs, s, tracker);
  if (secondOrder) {
    const out = evaluate(f, xs);
    const u = randomLike(out, s.random);
    const vs = xs.map((x) => randomLike(x, s.random));
    const flatCat = (ts: Tensor[]) =>
      concat(
        ts.map((g) => g.reshape([-1])),
        0,
      );
    const vjpOf: TensorFunction = (...args) => flatCat(vjp((...a: Tensor[]) => f(...a).astype('float64'), ...args)[1](u));
    const jvpOf: TensorFunction = (...args) => jvp((...a: Tensor[]) => f(...a).astype('float64'), args, vs)[1];
    checkFirstOrder('second order (of the vjp)', vjpOf, xs, s, tracker);
    checkFirstOrder('second order (of the jvp)', jvpOf, xs, s, tracker);
  }
  const worst = tracker.worst;
  const report: GradcheckReport = { ok: worst === null || worst.score <= 1, checks: tracker.checks, worst };
  if (!report.ok && throwOnFailure) throw new GradcheckError(report);
  return report;
}
