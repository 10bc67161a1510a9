// The Module base class: parameters are found by walking a module's own fields, so a subclass
// only assigns tensors and child modules to properties; names follow the property path.
import { Tensor, noGrad } from '@jacobi/tensor';
import { ArgumentError, ShapeError } from '@jacobi/tensor';
import { ModelFileError } from './errors.js';

/** Where a parameter lives: the module that owns it and the property that holds it. */
interface Slot {
  readonly owner: object;
  readonly key: string;
}

/**
 * Base class of layers and models. A subclass stores its parameters (tensors with
 * `requiresGrad`) and sub-modules (or arrays of them) in ordinary fields and implements
 * `forward`; `parameters()`, `namedParameters()`, `zeroGrad()`, `train()`/`eval()` and the state
 * dictionary come from walking those fields in declaration order.
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
    this.training = mode;
    for (const [, child] of this.namedChildren()) child.train(mode);
    return this;
  }

  /** Switches to evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** The parameters by name: what model files store. */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /**
   * Replaces every parameter with the tensor of the same name. Every entry is checked first
   * (missing, extra, wrong shape); on any failure nothing changes. Values are cast to the
   * parameter's dtype (a float64 file loads into a float32 model).
   *
   * @throws ModelFileError naming `opts.file` and the offending tensor.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, opts: { file?: string } = {}): void {
    const apply = checkStateDict(this, state, opts.file);
    apply();
  }

  /**
   * Runs `fn` with the parameters temporarily replaced by `params` (in `parameters()` order),
   * and puts the originals back afterwards, even on error. This is what lets the functional
   * transforms differentiate a model: `valueAndGrad((...ps) => model.withParameters(ps, () => loss))`.
   */
  withParameters<T>(params: readonly Tensor[], fn: () => T): T {
    const slots = collect(this);
    if (params.length !== slots.length) {
      throw new ArgumentError(`withParameters: the model has ${slots.length} parameters, got ${params.length}`);
    }
    const saved = slots.map(([, s]) => (s.owner as Record<string, Tensor>)[s.key]!);
    slots.forEach(([name, s], i) => {
      const p = params[i];
      if (!(p instanceof Tensor)) throw new ArgumentError(`withParameters: expected a Tensor for ${name}`);
      if (p.shape.join() !== saved[i]!.shape.join()) {
        throw new ShapeError(`withParameters: ${name} has shape [${saved[i]!.shape}], got [${p.shape}]`);
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

/** Parameter slots by name, depth first in field order; a module reached twice counts once. */
function collect(root: Module): [string, Slot][] {
  const out: [string, Slot][] = [];
  const seenModules = new Set<Module>();
  const seenTensors = new Set<Tensor>();
  const visit = (m: Module, prefix: string): void => {
    if (seenModules.has(m)) return;
    seenModules.add(m);
    for (const [key, value] of Object.entries(m)) {
      if (value instanceof Tensor) {
        // NOTE: a parameter is a tensor field that requires grad; other tensor fields are constants.
        if (value.requiresGrad && !seenTensors.has(value)) {
          seenTensors.add(value);
          out.push([prefix + key, { owner: m, key }]);
        }
      } else if (value instanceof Module) {
        visit(value, `${prefix}${key}.`);
      } else if (Array.isArray(value)) {
        value.forEach((v, i) => v instanceof Module && visit(v, `${prefix}${key}.${i}.`));
      }
    }
  };
  visit(root, '');
  return out;
}

/**
 * Checks `state` against the parameters of `model` and returns the function that assigns it.
 * Splitting check from assignment lets a caller validate several things (model and optimiser)
 * before changing any of them.
 */
export function checkStateDict(model: Module, state: ReadonlyMap<string, Tensor>, file?: string): () => void {
  const params = model.namedParameters();
  const names = new Set(params.map(([n]) => n));
  for (const [name, p] of params) {
    const value = state.get(name);
    if (value === undefined) throw new ModelFileError(`parameter '${name}' is missing (the model expects shape [${p.shape}])`, { file, tensor: name });
    if (!(value instanceof Tensor)) throw new ModelFileError(`entry '${name}' is not a Tensor`, { file, tensor: name });
    if (value.shape.join() !== p.shape.join() || value.ndim !== p.ndim) {
      throw new ModelFileError(`parameter '${name}' has shape [${value.shape}], the model expects [${p.shape}]`, { file, tensor: name });
    }
  }
  for (const name of state.keys()) {
    if (!names.has(name)) throw new ModelFileError(`unexpected tensor '${name}': the model has no such parameter`, { file, tensor: name });
  }
  return () =>
    noGrad(() => {
      for (const [name, p] of params) p.assign(state.get(name)!.astype(p.dtype));
    });
}
