// The Module base class: parameters are found by walking a module's own fields, so a subclass
// only assigns tensors and child modules to properties; names follow the property path.
// Buffers (non-trainable state such as BatchNorm's running statistics) are tensor fields the
// module registered by name: saved with the model, never given to an optimiser.
import { Tensor, keep, noGrad } from '@jacobi/tensor';
import { ArgumentError, ShapeError } from '@jacobi/tensor';
import { ModelFileError } from './errors.js';
import { checkBoolean, checkFunction, checkOptions, checkString, checkTensor, describeValue } from './validate.js';

/** Where a parameter lives: the module that owns it and the property that holds it. */
export interface Slot {
  readonly owner: object;
  readonly key: string;
}

/** @internal The slot of every buffer by name, as `namedBuffers()` orders them (set in Module's static block, which sees its private fields). */
export let bufferSlotsOf: (root: Module) => [string, Slot][];

/**
 * Base class of layers and models. A subclass stores its parameters (tensors with
 * `requiresGrad`) and sub-modules (or arrays of them) in ordinary fields and implements
 * `forward`; `parameters()`, `namedParameters()`, `zeroGrad()`, `train()`/`eval()` and the state
 * dictionary come from walking those fields in declaration order. Non-trainable state that a
 * model file must keep (running statistics) is a buffer: see {@link Module.registerBuffer}.
 *
 * @example
 * class Affine extends Module {
 *   scale = tensor([2], { requiresGrad: true });
 *   forward(x: Tensor) { return x.mul(this.scale); }
 * }
 * new Affine().namedParameters().map(([name]) => name); // ['scale']
 */
export abstract class Module {
  /** True in training mode (the default); layers that behave differently at test time read it. */
  training = true;

  /** The names of this module's own fields that hold buffers (a private field: no parameter walk sees it). */
  readonly #bufferNames = new Set<string>();

  /** Computes the module's output. */
  abstract forward(x: Tensor): Tensor;

  /** Every parameter with its dotted path (`layers.0.weight`), in a stable order. */
  namedParameters(): [string, Tensor][] {
    return collect(this).map(([name, slot]) => [name, (slot.owner as Record<string, Tensor>)[slot.key]!]);
  }

  /** Every parameter, in the order of `namedParameters()`. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * The parameters as a pytree for the functional transforms: a plain object keyed by the
   * dotted names of `namedParameters()` (`{ 'layers.0.weight': …, 'layers.0.bias': … }`), holding
   * the live parameters. Flat keys rather than objects nested by module path, because they are
   * the names of the state dictionary and of model files, the names `functionalCall` and
   * PyTorch's `functional_call` take, and a gradient of this tree (`grad(f)(model.parameterTree())`)
   * is then keyed the same way, ready for `optimizer.step(grads)`.
   *
   * @example
   * const model = new Sequential(new Linear(2, 1));
   * const grads = grad((p) => functionalCall(model, p, x).sum())(model.parameterTree());
   * Object.keys(grads); // ['layers.0.bias', 'layers.0.weight']
   */
  parameterTree(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    // NOTE: defineProperty, so that a parameter named `__proto__` stays an own key.
    for (const [name, p] of this.namedParameters())
      Object.defineProperty(out, name, { value: p, enumerable: true, writable: true, configurable: true });
    return out;
  }

  /**
   * Every buffer (non-trainable state, such as `running_mean`) with its dotted path
   * (`layers.1.running_mean`), in field order, sub-modules depth first as for parameters.
   * Buffers are saved and loaded with the model and are never among `parameters()`.
   */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    walk(this, (m, prefix) => {
      for (const [key, value] of Object.entries(m)) {
        if (m.#bufferNames.has(key) && value instanceof Tensor) out.push([prefix + key, value]);
      }
    });
    return out;
  }

  /** Every buffer, in the order of `namedBuffers()`. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /**
   * Stores `value` in the field `name` as a buffer: state that is not trained (it must not
   * require grad) but is saved and loaded with the model, as PyTorch's `register_buffer`. A
   * subclass declares the field (`declare running_mean: Tensor`) and calls this in its
   * constructor; later it may assign the field a new tensor of the same shape or `assign` into it.
   *
   * @example
   * class Counter extends Module {
   *   declare count: Tensor;
   *   constructor() { super(); this.registerBuffer('count', zeros([], { dtype: 'int32' })); }
   *   forward(x: Tensor) { return x; }
   * }
   * new Counter().namedBuffers().map(([name]) => name); // ['count']
   */
  protected registerBuffer(name: string, value: Tensor): Tensor {
    const op = methodName(this, 'registerBuffer');
    checkString(op, 'name', name, { nonEmpty: true });
    if (name.includes('.')) throw new ArgumentError(`${op}: name must not contain '.', got ${describeValue(name)}`);
    checkTensor(op, 'value', value);
    if (value.requiresGrad)
      throw new ArgumentError(`${op}: buffer '${name}' requires grad; a trainable tensor is a parameter, not a buffer`);
    const existing: unknown = Object.getOwnPropertyDescriptor(this, name)?.value;
    if (existing instanceof Module || (existing instanceof Tensor && existing.requiresGrad)) {
      throw new ArgumentError(`${op}: field '${name}' already holds a parameter or a module`);
    }
    this.#bufferNames.add(name);
    // A buffer lives as long as its module, also one registered inside a tidy scope.
    (this as unknown as Record<string, Tensor>)[name] = keep(value);
    return value;
  }

  static {
    bufferSlotsOf = (root) => {
      const out: [string, Slot][] = [];
      walk(root, (m, prefix) => {
        for (const [key, value] of Object.entries(m))
          if (m.#bufferNames.has(key) && value instanceof Tensor) out.push([prefix + key, { owner: m, key }]);
      });
      return out;
    };
  }

  /** The direct sub-modules with their names (array elements are named by their index). */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value)) value.forEach((v, i) => v instanceof Module && out.push([`${key}.${i}`, v]));
    }
    return out;
  }

  /** Clears the `.grad` of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Switches this module and all sub-modules to training mode (or to eval mode with `false`). */
  train(mode = true): this {
    checkBoolean(methodName(this, 'train'), 'mode', mode);
    this.training = mode;
    for (const [, child] of this.namedChildren()) child.train(mode);
    return this;
  }

  /** Switches to evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * The parameters and then the buffers by name: what model files store. The tensors are the
   * live parameters and buffers, not copies.
   */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Replaces every parameter and buffer with the tensor of the same name. Every entry is
   * checked first (missing, extra, wrong shape); on any failure nothing changes. Values are
   * cast to the parameter's (or buffer's) dtype (a float64 file loads into a float32 model).
   *
   * @throws ModelFileError naming `opts.file` and the offending tensor.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, opts: { file?: string } = {}): void {
    const op = methodName(this, 'loadStateDict');
    const file = checkOptions(op, opts).file;
    prepareStateDict(op, this, state, file === undefined ? undefined : checkString(op, 'opts.file', file))();
  }

  /**
   * Runs `fn` with the parameters temporarily replaced by `params` (in `parameters()` order),
   * and puts the originals back afterwards, even on error. This is what lets the functional
   * transforms differentiate a model: `valueAndGrad((...ps) => model.withParameters(ps, () => loss))`.
   */
  withParameters<T>(params: readonly Tensor[], fn: () => T): T {
    const op = methodName(this, 'withParameters');
    const slots = collect(this);
    if (!Array.isArray(params) || params.length !== slots.length) {
      throw new ArgumentError(`${op}: params must be an array of the model's ${slots.length} parameters, got ${describeValue(params)}`);
    }
    checkFunction(op, 'fn', fn);
    const saved = slots.map(([, s]) => (s.owner as Record<string, Tensor>)[s.key]!);
    slots.forEach(([name, _s], i) => {
      const p: unknown = params[i];
      if (!(p instanceof Tensor)) throw new ArgumentError(`${op}: params[${i}] (${name}) must be a Tensor, got ${describeValue(p)}`);
      if (p.shape.join() !== saved[i]!.shape.join() || p.ndim !== saved[i]!.ndim) {
        throw new ShapeError(`${op}: ${name} has shape [${saved[i]!.shape}], got [${p.shape}]`);
      }
    });
    try {
      slots.forEach(([, s], i) => ((s.owner as Record<string, Tensor>)[s.key] = params[i]!));
      return fn();
    } finally {
      slots.forEach(([, s], i) => ((s.owner as Record<string, Tensor>)[s.key] = saved[i]!));
    }
  }
}

/** Calls `fn` on every module below `root` (itself first) with its name prefix; a module reached twice counts once. */
export function walk(root: Module, fn: (m: Module, prefix: string) => void): void {
  const seen = new Set<Module>();
  const visit = (m: Module, prefix: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    fn(m, prefix);
    for (const [key, value] of Object.entries(m)) {
      if (value instanceof Module) visit(value, `${prefix}${key}.`);
      else if (Array.isArray(value)) value.forEach((v, i) => v instanceof Module && visit(v, `${prefix}${key}.${i}.`));
    }
  };
  visit(root, '');
}

/** Parameter slots by name, depth first in field order; a module or tensor reached twice counts once. */
export function collect(root: Module): [string, Slot][] {
  const out: [string, Slot][] = [];
  const seenTensors = new Set<Tensor>();
  walk(root, (m, prefix) => {
    for (const [key, value] of Object.entries(m)) {
      // NOTE: a parameter is a tensor field that requires grad; other tensor fields are constants (or buffers).
      if (value instanceof Tensor && value.requiresGrad && !seenTensors.has(value)) {
        seenTensors.add(value);
        out.push([prefix + key, { owner: m, key }]);
      }
    }
  });
  return out;
}

/** `Dense.loadStateDict`: a method's name in messages, after the instance's class. */
export function methodName(instance: object, method: string): string {
  return `${instance.constructor.name}.${method}`;
}

/**
 * Checks `state` against the parameters of `model` and returns the function that assigns it.
 * Splitting check from assignment lets a caller validate several things (model and optimiser)
 * before changing any of them.
 *
 * @throws ModelFileError naming `file` and the offending tensor.
 */
export function checkStateDict(model: Module, state: ReadonlyMap<string, Tensor>, file?: string): () => void {
  const op = 'checkStateDict';
  return prepareStateDict(op, model, state, file === undefined ? undefined : checkString(op, 'file', file));
}

/** `checkStateDict` for the functions built on it: `op` names the function the user called. */
export function prepareStateDict(op: string, model: unknown, state: unknown, file: string | undefined): () => void {
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describeValue(model)}`);
  if (!(state instanceof Map))
    throw new ArgumentError(`${op}: state must be a Map from parameter names to Tensors, got ${describeValue(state)}`);
  const fail = (msg: string, tensor: string) => new ModelFileError(msg, { op, file, tensor });
  const entries = state as ReadonlyMap<unknown, unknown>;
  const targets: [string, Tensor, 'parameter' | 'buffer'][] = [
    ...model.namedParameters().map(([n, p]): [string, Tensor, 'parameter'] => [n, p, 'parameter']),
    ...model.namedBuffers().map(([n, b]): [string, Tensor, 'buffer'] => [n, b, 'buffer']),
  ];
  const names = new Set(targets.map(([n]) => n));
  for (const [name, p, kind] of targets) {
    const value = entries.get(name);
    if (value === undefined) throw fail(`${kind} '${name}' is missing (the model expects shape [${p.shape}])`, name);
    if (!(value instanceof Tensor)) throw fail(`entry '${name}' must be a Tensor, got ${describeValue(value)}`, name);
    if (value.shape.join() !== p.shape.join() || value.ndim !== p.ndim) {
      throw fail(`${kind} '${name}' has shape [${value.shape}], the model expects [${p.shape}]`, name);
    }
  }
  for (const name of entries.keys()) {
    if (typeof name !== 'string' || !names.has(name))
      throw fail(`unexpected tensor ${describeValue(name)}: the model has no such parameter or buffer`, String(name));
  }
  // NOTE: the new values are cast (copied) now, so the commit below cannot fail half-way.
  const values = targets.map(([name, p]) => (entries.get(name) as Tensor).astype(p.dtype).detach());
  return () =>
    noGrad(() => {
      targets.forEach(([, p], i) => p.assign(values[i]!));
    });
}
