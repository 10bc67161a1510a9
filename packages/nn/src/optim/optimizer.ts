// The optimiser base: which parameters, where their gradients come from, per-parameter state
// buffers, and saving/restoring that state. Subclasses write only the update rule.
import { ArgumentError, ShapeError, Tensor, noGrad } from '@jacobi/tensor';
import { ModelFileError } from '../errors.js';

/** Hyper-parameters as plain JSON values (what a saved state records). */
export type HyperParameters = Record<string, number | boolean | readonly number[]>;

/**
 * A snapshot of an optimiser: its kind, hyper-parameters, per-parameter step counts, and its
 * state buffers by name `<param index>.<slot>` (e.g. `0.exp_avg`, PyTorch's slot names).
 */
export interface OptimizerState {
  type: string;
  hyper: HyperParameters;
  steps: number[];
  buffers: Map<string, Tensor>;
}

/**
 * Base class of the optimisers. `step()` reads each parameter's `.grad` (after
 * `loss.backward()`) or takes the gradients explicitly (`step(grads)`, for `valueAndGrad`),
 * and replaces the parameter's value in place; parameters without a gradient are skipped.
 */
export abstract class Optimizer {
  /** The parameters being optimised, in a fixed order. */
  readonly params: readonly Tensor[];
  /** Optimiser steps taken per parameter (Adam's bias correction uses them). */
  protected steps: number[];
  /** State buffers per slot name, one entry (or null before the first step) per parameter. */
  protected readonly buffers: Record<string, (Tensor | null)[]>;

  protected constructor(
    readonly type: string,
    params: readonly Tensor[],
    slots: readonly string[],
  ) {
    if (!Array.isArray(params) || params.length === 0) throw new ArgumentError(`${type}: expected a non-empty array of parameters (model.parameters())`);
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ArgumentError(`${type}: parameter ${i} is not a Tensor`);
      if (!p.isLeaf) throw new ArgumentError(`${type}: parameter ${i} is a computed tensor; optimisers update leaf tensors only`);
      if (seen.has(p)) throw new ArgumentError(`${type}: parameter ${i} appears twice`);
      seen.add(p);
    });
    this.params = [...params];
    this.steps = params.map(() => 0);
    this.buffers = Object.fromEntries(slots.map((s) => [s, params.map(() => null)]));
  }

  /** The hyper-parameters, as recorded in a saved state. */
  abstract get hyper(): HyperParameters;

  /** The new value of parameter `i` from its gradient (runs under noGrad). */
  protected abstract update(i: number, p: Tensor, g: Tensor): Tensor;

  /**
   * One optimisation step. Without arguments it uses each parameter's `.grad`; with `grads`
   * (one per parameter, in order; null skips one) it uses those, as `valueAndGrad` returns them.
   */
  step(grads?: readonly (Tensor | null)[]): void {
    if (grads !== undefined && (!Array.isArray(grads) || grads.length !== this.params.length)) {
      throw new ArgumentError(`${this.type}.step: expected ${this.params.length} gradients, got ${Array.isArray(grads) ? grads.length : typeof grads}`);
    }
    const gs = this.params.map((p, i) => {
      const g = grads === undefined ? (p.requiresGrad ? p.grad : null) : grads[i]!;
      if (g === null || g === undefined) return null;
      if (!(g instanceof Tensor)) throw new ArgumentError(`${this.type}.step: gradient ${i} is not a Tensor`);
      if (g.shape.join() !== p.shape.join() || g.ndim !== p.ndim) {
        throw new ShapeError(`${this.type}.step: gradient ${i} has shape [${g.shape}], its parameter has shape [${p.shape}]`);
      }
      return g.detach().astype(p.dtype);
    });
    noGrad(() => {
      gs.forEach((g, i) => {
        if (g === null) return;
        this.steps[i]!++;
        this.params[i]!.assign(this.update(i, this.params[i]!, g));
      });
    });
  }

  /** Clears the `.grad` of every parameter. */
  zeroGrad(): void {
    for (const p of this.params) if (p.requiresGrad) p.grad = null;
  }

  /** A snapshot of the optimiser's state (buffers are copies). */
  stateDict(): OptimizerState {
    const buffers = new Map<string, Tensor>();
    for (const [slot, values] of Object.entries(this.buffers)) {
      values.forEach((b, i) => b !== null && buffers.set(`${i}.${slot}`, b));
    }
    return { type: this.type, hyper: this.hyper, steps: [...this.steps], buffers };
  }

  /**
   * Restores a snapshot from `stateDict()` (or a model file). Everything is checked before
   * anything changes: the kind, the parameter count, every buffer's name and shape.
   * Hyper-parameters are restored too.
   */
  loadStateDict(state: OptimizerState, opts: { file?: string } = {}): void {
    this.checkStateDict(state, opts.file)();
  }

  /** Validates `state` and returns the function that applies it. */
  checkStateDict(state: OptimizerState, file?: string): () => void {
    const fail = (msg: string, tensor?: string) => new ModelFileError(`optimizer state: ${msg}`, { file, tensor });
    if (state.type !== this.type) throw fail(`was saved by ${state.type}, cannot load into ${this.type}`);
    if (!Array.isArray(state.steps) || state.steps.length !== this.params.length || state.steps.some((s) => !Number.isInteger(s) || s < 0)) {
      throw fail(`expected ${this.params.length} non-negative step counts, got ${JSON.stringify(state.steps)}`);
    }
    this.checkHyper(state.hyper, fail);
    const next: Record<string, (Tensor | null)[]> = Object.fromEntries(Object.keys(this.buffers).map((s) => [s, this.params.map(() => null)]));
    for (const [name, value] of state.buffers) {
      const m = /^(\d+)\.(\w+)$/.exec(name);
      const i = m ? Number(m[1]) : -1;
      if (!m || !(m[2]! in next) || i >= this.params.length) throw fail(`unexpected buffer '${name}' for ${this.type} with ${this.params.length} parameters`, name);
      const p = this.params[i]!;
      if (value.shape.join() !== p.shape.join() || value.ndim !== p.ndim) throw fail(`buffer '${name}' has shape [${value.shape}], parameter ${i} has [${p.shape}]`, name);
      next[m[2]!]![i] = value;
    }
    return () => {
      this.applyHyper(state.hyper);
      this.steps = [...state.steps];
      for (const [slot, values] of Object.entries(next)) {
        this.buffers[slot] = values.map((v, i) => (v === null ? null : v.astype(this.params[i]!.dtype).detach()));
      }
    };
  }

  /** Checks saved hyper-parameters (subclasses know their types). */
  protected abstract checkHyper(hyper: HyperParameters, fail: (msg: string) => Error): void;
  /** Takes over saved hyper-parameters that passed `checkHyper`. */
  protected abstract applyHyper(hyper: HyperParameters): void;
}

/** Throws unless `value` is a finite number ≥ `min` (and < `below`, if given). */
export function checkNumber(op: string, name: string, value: unknown, min: number, below?: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (below !== undefined && value >= below)) {
    const range = below === undefined ? `≥ ${min}` : `in [${min}, ${below})`;
    throw new ArgumentError(`${op}: ${name} must be a finite number ${range}, got ${String(value)}`);
  }
  return value;
}
