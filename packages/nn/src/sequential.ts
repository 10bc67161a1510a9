// A chain of modules, each fed the previous one's output.
import { ArgumentError, Tensor } from '@jacobi/tensor';
import { Module, methodName } from './module.js';
import type { Activation } from './activations.js';
import { checkFunction, checkTensor, describeValue, inContext } from './validate.js';

/** A module or a plain function of a tensor (an activation, say) inside a `Sequential`. */
export type Layer = Module | Activation;

/** Wraps a plain function so that it can sit in a `Sequential`; it has no parameters. */
export class Lambda extends Module {
  /** The wrapped function; `forward(x)` is `fn(x)`, checked to return a Tensor. */
  readonly fn: Activation;

  constructor(fn: Activation) {
    super();
    this.fn = checkFunction('Lambda', 'fn', fn);
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    const out: unknown = inContext(op, () => this.fn(x));
    if (!(out instanceof Tensor)) throw new ArgumentError(`${op}: the function returned ${describeValue(out)}, expected a Tensor`);
    return out;
  }
}

/**
 * Applies its layers in order. Parameters are named `layers.<i>.<name>`. An error inside a
 * layer names the layer: `Sequential.forward: layer 1: Dense.forward: ...`.
 *
 * @example
 * const model = new Sequential(new Dense(4, 16, { activation: 'relu' }), new Dense(16, 3));
 * model.namedParameters().map(([n]) => n); // ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']
 */
export class Sequential extends Module {
  /** The layers in order, plain functions wrapped in `Lambda`; layer `i`'s parameters are named `layers.<i>.<name>`. */
  readonly layers: Module[];

  constructor(...layers: Layer[]) {
    super();
    this.layers = layers.map((l, i) => {
      if (l instanceof Module) return l;
      if (typeof l === 'function') return new Lambda(l);
      throw new ArgumentError(`Sequential: layer ${i} must be a Module or a function, got ${describeValue(l)}`);
    });
  }

  forward(x: Tensor): Tensor {
    const op = methodName(this, 'forward');
    checkTensor(op, 'x', x);
    return this.layers.reduce((h, layer, i) => inContext(`${op}: layer ${i}`, () => layer.forward(h)), x);
  }
}
