// Activations as modules (PyTorch's nn.ReLU, nn.GELU, …), for Sequential and for layers that
// take an activation by module; each is a thin wrapper over the tensor function.
import type { Tensor } from '@jacobi/tensor';
import { leakyRelu } from './activations.js';
import { Module, methodName } from './module.js';
import { checkChoice, checkInteger, checkNumber, checkOptions, checkTensor, inContext } from './validate.js';

/** A parameterless module computing `fn(x)`; errors name the subclass's `forward`. */
abstract class ActivationModule extends Module {
  readonly #fn: (x: Tensor) => Tensor;
  constructor(fn: (x: Tensor) => Tensor) {
    super();
    this.#fn = fn;
  }
  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    return inContext(op, () => this.#fn(x));
  }
}

/** max(x, 0), PyTorch's `nn.ReLU`. @example new Sequential(new Linear(4, 8), new ReLU()) */
export class ReLU extends ActivationModule {
  constructor() {
    super((x) => x.relu());
  }
}

/** Options of `GELU`. */
export interface GELUOptions {
  /** `'none'` (default): the exact x·Φ(x); `'tanh'`: the tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/** PyTorch's `nn.GELU`: x·Φ(x), or its tanh approximation with `{ approximate: 'tanh' }`. @example new GELU().forward(x) */
export class GELU extends ActivationModule {
  /** Which form is computed. */
  readonly approximate: 'none' | 'tanh';
  constructor(opts: GELUOptions = {}) {
    const approximate = checkChoice('GELU', 'opts.approximate', checkOptions('GELU', opts).approximate ?? 'none', ['none', 'tanh']);
    super((x) => x.gelu({ approximate }));
    this.approximate = approximate;
  }
}

/** tanh x, PyTorch's `nn.Tanh`. @example new Tanh().forward(x) */
export class Tanh extends ActivationModule {
  constructor() {
    super((x) => x.tanh());
  }
}

/** 1 / (1 + e⁻ˣ), PyTorch's `nn.Sigmoid`. @example new Sigmoid().forward(x) */
export class Sigmoid extends ActivationModule {
  constructor() {
    super((x) => x.sigmoid());
  }
}

/** x·σ(x) (swish), PyTorch's `nn.SiLU`. @example new SiLU().forward(x) */
export class SiLU extends ActivationModule {
  constructor() {
    super((x) => x.silu());
  }
}

/** x for x > 0, `negativeSlope`·x otherwise (default 0.01), PyTorch's `nn.LeakyReLU`. @example new LeakyReLU(0.2).forward(x) */
export class LeakyReLU extends ActivationModule {
  /** The slope for negative inputs. */
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01) {
    const slope = checkNumber('LeakyReLU', 'negativeSlope', negativeSlope);
    super((x) => leakyRelu(x, slope));
    this.negativeSlope = slope;
  }
}

/** softmax along `dim` (PyTorch's `nn.Softmax(dim)`; default the last axis). @example new Softmax(1).forward(logits) */
export class Softmax extends ActivationModule {
  /** The axis normalised over (negative counts from the end). */
  readonly dim: number;
  constructor(dim = -1) {
    const axis = checkInteger('Softmax', 'dim', dim, -64, 63);
    super((x) => x.softmax(axis));
    this.dim = axis;
  }
}

/** Returns its input, PyTorch's `nn.Identity` (a placeholder layer). @example new Identity().forward(x) === x */
export class Identity extends ActivationModule {
  constructor() {
    super((x) => x);
  }
}
