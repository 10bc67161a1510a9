// Activation functions, usable directly (`relu(x)`) or by name in layer options.
import { ArgumentError, type Tensor } from '@jacobi/tensor';
import { checkNumber, checkString, checkTensor, describeValue } from './validate.js';

/** An elementwise (or last-axis, for softmax) function of a tensor. */
export type Activation = (x: Tensor) => Tensor;

/** x */
export const identity: Activation = (x) => checkTensor('identity', 'x', x);
/** 1 / (1 + e⁻ˣ) */
export const sigmoid: Activation = (x) => checkTensor('sigmoid', 'x', x).sigmoid();
/** tanh x */
export const tanh: Activation = (x) => checkTensor('tanh', 'x', x).tanh();
/** max(x, 0) */
export const relu: Activation = (x) => checkTensor('relu', 'x', x).relu();

/** x for x > 0, `slope`·x otherwise (PyTorch's default slope 0.01). */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  checkTensor('leakyRelu', 'x', x);
  checkNumber('leakyRelu', 'slope', slope);
  return x.greater(0).where(x, x.mul(slope));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
/**
 * GELU, x·Φ(x), in its tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 * NOTE: the tanh form (PyTorch's `approximate='tanh'`, used by GPT-2 and BERT) because the tensor
 * package has no erf; it differs from the exact GELU by less than 5e-4.
 */
export function gelu(x: Tensor): Tensor {
  checkTensor('gelu', 'x', x);
  const inner = x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI);
  return x.mul(inner.tanh().add(1)).mul(0.5);
}

/** softmax over the last axis. */
export const softmax: Activation = (x) => checkTensor('softmax', 'x', x).softmax(-1);

/** The activations that layer options accept by name. */
export const activations = {
  identity,
  /** Another name for `identity` (Keras's `'linear'`). */
  linear: identity,
  sigmoid,
  tanh,
  relu,
  /** `leakyRelu` with PyTorch's default slope 0.01. */
  leakyRelu: (x: Tensor) => leakyRelu(x),
  /** `gelu`, the tanh approximation. */
  gelu,
  softmax,
} as const satisfies Record<string, Activation>;

/** A name accepted wherever an activation is. */
export type ActivationName = keyof typeof activations;

/**
 * Resolves a function or a name to an activation function; `undefined` is identity. `op` is
 * the name of the calling function (a layer's constructor) that errors start with.
 *
 * @example
 * resolveActivation('MyLayer', 'relu') === relu; // true
 */
export function resolveActivation(op: string, activation: Activation | ActivationName | undefined): Activation {
  checkString('resolveActivation', 'op', op, { nonEmpty: true });
  if (activation === undefined) return identity;
  if (typeof activation === 'function') return activation;
  if (typeof activation !== 'string' || !Object.hasOwn(activations, activation)) {
    throw new ArgumentError(
      `${op}: unknown activation ${describeValue(activation)} (expected a function or one of ${Object.keys(activations).join(', ')})`,
    );
  }
  return activations[activation as ActivationName];
}
