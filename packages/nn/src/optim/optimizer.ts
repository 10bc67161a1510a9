// The optimiser base: which parameters, where their gradients come from, per-parameter state
// buffers, hyper-parameters with one validation for every way in (constructor, setters, state
// dictionaries, model files), and saving/restoring that state. Subclasses write only the rule.
import {
  ArgumentError,
  ShapeError,
  Tensor,
  type TreeDef,
  TreeStructureError,
  keep,
  noGrad,
  tensor,
  treeFlatten,
  type PyTree,
} from '@jacobi/tensor';
import { ModelFileError } from '../errors.js';
import { checkOptions, checkString, describeValue } from '../validate.js';

/**
 * What an optimiser optimises: an array of parameters (`model.parameters()`), or a pytree of
 * them such as `model.parameterTree()`, whose leaves (in sorted-key order) become `params`;
 * `step` then also takes a gradient tree of the same structure.
 */
export type OptimizerParams = readonly Tensor[] | { readonly [name: string]: PyTree };

/** Hyper-parameters as plain JSON values (what a saved state records). */
export type HyperParameters = Record<string, number | boolean | readonly number[]>;

/**
 * A snapshot of an optimiser: its kind, hyper-parameters, per-parameter step counts, and its
 * state buffers by name `<param index>.<slot>` (e.g. `0.exp_avg`, PyTorch's slot names).
 */
export interface OptimizerState {
  /** The optimiser's kind (`'SGD'`, `'Adam'`, `'AdamW'`); a state loads only into the same kind. */
  type: string;
  /** Every hyper-parameter by name (`lr`, `betas`, ...), checked on load by the constructor's rules. */
  hyper: HyperParameters;
  /** Steps taken per parameter, in `params` order: non-negative integers, one per parameter. */
  steps: number[];
  /** State buffers by `<param index>.<slot>`, each of its parameter's shape; a buffer not yet created is absent. */
  buffers: Map<string, Tensor>;
}

/**
 * What one hyper-parameter accepts: a test and its wording for messages.
 *
 * @example
 * const probability: HyperRule = { expected: 'a number in [0, 1]', accepts: (v) => typeof v === 'number' && v >= 0 && v <= 1 };
 */
export interface HyperRule {
  /** What a valid value is, worded to follow "must be" (`'a finite number ≥ 0'`). */
  readonly expected: string;
  /** True when `value` is valid; it gets any value (options and saved states are untrusted). */
  readonly accepts: (value: unknown) => boolean;
}

/**
 * The rules of an optimiser's hyper-parameters, passed to the `Optimizer` constructor. The same
 * rules check the constructor's options, every setter and every loaded state.
 */
export interface HyperSchema {
  /** One rule per hyper-parameter; its keys are exactly the hyper-parameters the optimiser has. */
  readonly rules: Readonly<Record<string, HyperRule>>;
  /** A check across the values (`nesterov` needs `momentum > 0`): the problem in words, or null when fine. */
  readonly across?: (values: Readonly<Record<string, unknown>>) => string | null;
}

/** A finite number ≥ 0 (learning rates, momenta, decays, ε). */
export const nonNegative: HyperRule = {
  expected: 'a finite number ≥ 0',
  accepts: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
};
/** true or false. */
export const aBoolean: HyperRule = { expected: 'a boolean', accepts: (v) => typeof v === 'boolean' };

/** The result of one parameter's update (what `Optimizer.update` returns): its new value and state. */
export interface Update {
  /** The parameter's new value, of its shape; it is assigned in place after every update succeeds. */
  readonly value: Tensor;
  /** New state buffers by slot name, each one of the constructor's `slots`; slots left out keep their buffers. */
  readonly state: Readonly<Record<string, Tensor>>;
}

/** @internal Validates a state for a load by `op` (decodeModel, loadModel) and returns its commit. */
export const PREPARE_LOAD: unique symbol = Symbol('prepareLoad');

/** @internal A state buffer's name, `<parameter index>.<slot>` (model files renumber the index). */
export const BUFFER_NAME = /^(0|[1-9]\d*)\.([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * Base class of the optimisers. `step()` reads each parameter's `.grad` (after
 * `loss.backward()`) or takes the gradients explicitly (`step(grads)`, for `valueAndGrad`),
 * and replaces the parameter's value in place; parameters without a gradient are skipped.
 * Every method validates everything before it changes anything: a step that fails (a bad
 * gradient, a NaN under `setDetectAnomaly(true)`) leaves parameters, step counts and buffers
 * as they were. Hyper-parameters are accessor properties checked by the same rules as the
 * constructor and a loaded state, so whatever an optimiser saves, it can load.
 *
 * A subclass passes its kind, slots, schema and defaults to the constructor and writes `update`:
 *
 * @example
 * const rate: HyperRule = { expected: 'a number ≥ 0', accepts: (v) => typeof v === 'number' && v >= 0 };
 * class GradientDescent extends Optimizer {
 *   constructor(params: readonly Tensor[], opts: { lr: number }) {
 *     super('GradientDescent', params, [], { rules: { lr: rate } }, opts, {});
 *   }
 *   protected update(_i: number, p: Tensor, g: Tensor): Update {
 *     return { value: p.sub(g.mul(this.hyperValue('lr') as number)), state: {} };
 *   }
 * }
 */
export abstract class Optimizer {
  /** The parameters being optimised, in a fixed order. */
  readonly params: readonly Tensor[];
  /** Optimiser steps taken per parameter (Adam's bias correction uses them). */
  protected steps: number[];
  /** State buffers per slot name, one entry (or null before the first step) per parameter. */
  protected readonly buffers: Map<string, (Tensor | null)[]>;
  readonly #schema: HyperSchema;
  /** The structure of the params tree, when the optimiser was given one (null for an array). */
  readonly #tree: TreeDef | null;
  readonly #hyper: Record<string, unknown> = Object.create(null) as Record<string, unknown>;

  /**
   * `options` are the user's options, `defaults` fill in what they leave out; both are checked
   * against `schema` here, so a subclass never sees an invalid value. `slots` names the state
   * buffers each parameter gets (`['exp_avg', 'exp_avg_sq']`). `params` must be distinct leaf
   * tensors with `requiresGrad`.
   */
  protected constructor(
    /** The optimiser's kind (`'SGD'`): the start of its error messages and the `type` of its saved state. */
    readonly type: string,
    paramsGiven: OptimizerParams,
    slots: readonly string[],
    schema: HyperSchema,
    options: unknown,
    defaults: Readonly<Record<string, unknown>>,
  ) {
    let params: readonly Tensor[] = paramsGiven as readonly Tensor[];
    this.#tree = null;
    // A parameter tree: its leaves are the parameters (checked below like an array's).
    if (typeof paramsGiven === 'object' && paramsGiven !== null && !Array.isArray(paramsGiven) && !(paramsGiven instanceof Tensor)) {
      const [leaves, def] = flattenFor(type, 'params', paramsGiven);
      params = leaves as Tensor[];
      this.#tree = def;
    }
    if (!Array.isArray(params) || params.length === 0)
      throw new ArgumentError(`${type}: params must be a non-empty array of parameters (model.parameters()), got ${describeValue(params)}`);
    const seen = new Set<Tensor>();
    for (let i = 0; i < params.length; i++) {
      const p: unknown = params[i];
      if (!(p instanceof Tensor)) throw new ArgumentError(`${type}: params[${i}] must be a Tensor, got ${describeValue(p)}`);
      if (!p.isLeaf) throw new ArgumentError(`${type}: params[${i}] is a computed tensor; optimisers update leaf tensors only`);
      if (!p.requiresGrad)
        throw new ArgumentError(
          `${type}: params[${i}] does not require grad, so it never gets a gradient to step with (set requiresGrad = true)`,
        );
      if (seen.has(p)) throw new ArgumentError(`${type}: params[${i}] appears twice`);
      seen.add(p);
    }
    this.#schema = schema;
    const given = checkOptions(type, options);
    const values: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(schema.rules)) values[key] = given[key] === undefined ? defaults[key] : given[key];
    const problem = this.#problem(values);
    if (problem !== null) throw new ArgumentError(`${type}: ${problem}`);
    for (const [key, value] of Object.entries(values)) this.#hyper[key] = ownCopy(value);
    this.params = Object.freeze([...params]);
    this.steps = params.map(() => 0);
    this.buffers = new Map(slots.map((s) => [s, params.map(() => null)]));
  }

  /** The first rule `values` break, worded for a message, or null. */
  #problem(values: Readonly<Record<string, unknown>>): string | null {
    for (const [key, rule] of Object.entries(this.#schema.rules)) {
      if (!rule.accepts(values[key])) return `${key} must be ${rule.expected}, got ${describeValue(values[key])}`;
    }
    return this.#schema.across?.(values) ?? null;
  }

  /** The current value of a hyper-parameter (for the subclasses' getters). */
  protected hyperValue(key: string): unknown {
    return this.#hyper[key];
  }

  /** Sets a hyper-parameter after checking it with the constructor's rules (for the setters). */
  protected setHyperValue(key: string, value: unknown): void {
    const problem = this.#problem({ ...this.#hyper, [key]: value });
    if (problem !== null) throw new ArgumentError(`${this.type}.${key}: ${problem}`);
    this.#hyper[key] = ownCopy(value);
  }

  /** The hyper-parameters, as recorded in a saved state (a fresh copy). */
  get hyper(): HyperParameters {
    const out: HyperParameters = {};
    for (const [k, v] of Object.entries(this.#hyper)) out[k] = Array.isArray(v) ? [...(v as number[])] : (v as number | boolean);
    return out;
  }

  /** The new value and state buffers of parameter `i` from its gradient, at step `step` (1 for the first); runs under noGrad and must not change `this`. */
  protected abstract update(i: number, p: Tensor, g: Tensor, step: number): Update;

  /**
   * One optimisation step. Without arguments it uses each parameter's `.grad`; with `grads`
   * (one per parameter, in order; null skips one) it uses those, as `valueAndGrad` returns them.
   * An optimiser built from a parameter tree (`model.parameterTree()`) also takes a gradient tree
   * of that structure, as `grad` returns it: `opt.step(grad(loss)(model.parameterTree()))`.
   * Every update is computed before any is applied.
   */
  step(grads?: readonly (Tensor | null)[] | { readonly [name: string]: PyTree }): void {
    const op = `${this.type}.step`;
    if (grads !== undefined && !Array.isArray(grads) && typeof grads === 'object' && grads !== null && !(grads instanceof Tensor)) {
      const [leaves, def] = flattenFor(op, 'grads', grads);
      if (this.#tree === null || !def.equals(this.#tree)) {
        throw new TreeStructureError(
          this.#tree === null
            ? `${op}: a gradient tree needs an optimiser built from a parameter tree (new ${this.type}(model.parameterTree(), …)); this one was given an array`
            : `${op}: the gradient tree ${def} does not have the structure of the parameters ${this.#tree}`,
        );
      }
      grads = leaves as (Tensor | null)[];
    }
    if (grads !== undefined && (!Array.isArray(grads) || grads.length !== this.params.length)) {
      throw new ArgumentError(
        `${op}: grads must be an array of ${this.params.length} gradients (Tensor or null), got ${describeValue(grads)}`,
      );
    }
    const gs = this.params.map((p, i) => {
      const g: unknown = grads === undefined ? (p.requiresGrad ? p.grad : null) : grads[i];
      if (g === null || g === undefined) return null;
      if (!(g instanceof Tensor)) throw new ArgumentError(`${op}: gradient ${i} must be a Tensor or null, got ${describeValue(g)}`);
      if (g.shape.join() !== p.shape.join() || g.ndim !== p.ndim) {
        throw new ShapeError(`${op}: gradient ${i} has shape [${g.shape}], its parameter has shape [${p.shape}]`);
      }
      return g.detach().astype(p.dtype);
    });
    const updates = noGrad(() => gs.map((g, i) => (g === null ? null : this.update(i, this.params[i]!, g, this.steps[i]! + 1))));
    updates.forEach((u, i) => {
      if (u === null) return;
      this.steps[i]!++;
      // The state outlives a tidy scope the step runs in, as the parameters do.
      for (const [slot, b] of Object.entries(u.state)) this.buffers.get(slot)![i] = keep(b);
      noGrad(() => this.params[i]!.assign(u.value));
    });
  }

  /** Clears the `.grad` of every parameter. */
  zeroGrad(): void {
    for (const p of this.params) if (p.requiresGrad) p.grad = null;
  }

  /** A snapshot of the optimiser's state: changing it (or stepping) does not change the other. */
  stateDict(): OptimizerState {
    const buffers = new Map<string, Tensor>();
    for (const [slot, values] of this.buffers) {
      values.forEach((b, i) => b !== null && buffers.set(`${i}.${slot}`, copyOf(b)));
    }
    return { type: this.type, hyper: this.hyper, steps: [...this.steps], buffers };
  }

  /**
   * Restores a snapshot from `stateDict()` (or a model file). Everything is checked before
   * anything changes: the kind, the parameter count, every hyper-parameter (by the
   * constructor's rules), every buffer's name and shape. The optimiser keeps copies.
   *
   * @throws ModelFileError naming `opts.file` and the offending entry.
   */
  loadStateDict(state: OptimizerState, opts: { file?: string } = {}): void {
    const op = `${this.type}.loadStateDict`;
    const file = checkOptions(op, opts).file;
    this[PREPARE_LOAD](op, state, file === undefined ? undefined : checkString(op, 'opts.file', file))();
  }

  /** Validates `state` as `loadStateDict` does and returns the function that applies it. */
  checkStateDict(state: OptimizerState, file?: string): () => void {
    const op = `${this.type}.checkStateDict`;
    return this[PREPARE_LOAD](op, state, file === undefined ? undefined : checkString(op, 'file', file));
  }

  /** @internal */
  [PREPARE_LOAD](op: string, state: unknown, file: string | undefined): () => void {
    const fail = (msg: string, tensor?: string) => new ModelFileError(`optimizer state: ${msg}`, { op, file, tensor });
    if (typeof state !== 'object' || state === null) throw fail(`expected {type, hyper, steps, buffers}, got ${describeValue(state)}`);
    const field = (k: string): unknown => (Object.hasOwn(state, k) ? (state as Record<string, unknown>)[k] : undefined);
    const [type, hyper, steps, buffers] = ['type', 'hyper', 'steps', 'buffers'].map(field);
    if (type !== this.type)
      throw fail(`was saved by ${typeof type === 'string' ? type : describeValue(type)}, cannot load into ${this.type}`);
    const n = this.params.length;
    if (!Array.isArray(steps) || steps.length !== n || !steps.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw fail(`steps must be ${n} non-negative integers, got ${describeValue(steps)}`);
    }
    const values = this.#readHyper(hyper, fail);
    if (!(buffers instanceof Map)) throw fail(`buffers must be a Map of tensors, got ${describeValue(buffers)}`);
    const next = new Map([...this.buffers.keys()].map((s) => [s, this.params.map((): Tensor | null => null)]));
    for (const [name, value] of buffers as Map<unknown, unknown>) {
      const m = typeof name === 'string' ? BUFFER_NAME.exec(name) : null;
      const i = m ? Number(m[1]) : -1;
      const slot = m ? next.get(m[2]!) : undefined;
      if (!m || slot === undefined || i >= n)
        throw fail(`unexpected buffer ${describeValue(name)} for ${this.type} with ${n} parameters`, String(name));
      if (!(value instanceof Tensor)) throw fail(`buffer '${name}' must be a Tensor, got ${describeValue(value)}`, name as string);
      const p = this.params[i]!;
      if (value.shape.join() !== p.shape.join() || value.ndim !== p.ndim)
        throw fail(`buffer '${name}' has shape [${value.shape}], parameter ${i} has [${p.shape}]`, name as string);
      slot[i] = keep(copyOf(value, p.dtype));
    }
    const savedSteps = [...(steps as number[])];
    return () => {
      Object.assign(this.#hyper, values);
      this.steps = savedSteps;
      for (const [slot, values] of next) this.buffers.set(slot, values);
    };
  }

  /** Saved hyper-parameters, checked by the same rules as the constructor's options. */
  #readHyper(hyper: unknown, fail: (msg: string) => ModelFileError): Record<string, unknown> {
    if (typeof hyper !== 'object' || hyper === null || Array.isArray(hyper))
      throw fail(`hyper must be an object, got ${describeValue(hyper)}`);
    const values: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(hyper)) {
      if (!Object.hasOwn(this.#schema.rules, key)) throw fail(`unknown ${this.type} hyper-parameter ${describeValue(key)}`);
    }
    for (const key of Object.keys(this.#schema.rules)) {
      if (!Object.hasOwn(hyper, key)) throw fail(`${this.type} hyper-parameter ${key} is missing`);
      const v = (hyper as Record<string, unknown>)[key];
      values[key] = v;
    }
    const problem = this.#problem(values);
    if (problem !== null) throw fail(`${this.type} ${problem}`);
    for (const key of Object.keys(values)) values[key] = ownCopy(values[key]);
    return values;
  }
}

/** treeFlatten with errors that name the optimiser method the caller called. */
function flattenFor(op: string, name: string, tree: unknown): [unknown[], TreeDef] {
  try {
    return treeFlatten(tree as PyTree);
  } catch (e) {
    if (e instanceof ArgumentError) throw new ArgumentError(`${op}: ${name} is not a pytree of tensors (${e.message})`);
    throw e;
  }
}

/** Checked arrays are copied so that a caller keeping the original cannot change a checked value. */
function ownCopy(v: unknown): unknown {
  return Array.isArray(v) ? [...(v as unknown[])] : v;
}

/** A tensor with its own storage (a snapshot no later step or caller can change). */
function copyOf(t: Tensor, dtype = t.dtype): Tensor {
  return tensor(t.data(), { shape: t.shape, dtype });
}
