// A chain of modules, each fed the previous one's output.
import { ArgumentError, type Tensor } from '@jacobi/tensor';
import { Module } from './module.js';
import type { Activation } from './activations.js';

/** A module or a plain function of a tensor (an activation, say) inside a `Sequential`. */
export type Layer = Module | Activation;

/** Wraps a plain function so that it can sit in a `Sequential`; it has no parameters. */
export class Lambda extends Module {
  constructor(readonly fn: Activation) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}

/**
 * Applies its layers in order. Parameters are named `layers.<i>.<name>`.
 *
 * @example
 * const model = new Sequential(new Dense(4, 16, { activation: 'relu' }), new Dense(16, 3));
 * model.namedParameters().map(([n]) => n); // ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']
 */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Layer[]) {
    super();
    this.layers = layers.map((l, i) => {
      if (l instanceof Module) return l;
      if (typeof l === 'function') return new Lambda(l);
      throw new ArgumentError(`Sequential: layer ${i} is neither a Module nor a function`);
    });
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, layer) => layer.forward(h), x);
  }
}
