// Weight initialisers. Every one draws from an explicit seeded generator, so a model built
// with the same `rng(seed)` has the same weights on every run and every engine.
import { ArgumentError, full, rand, randn, zeros, rng as makeRng, type DType, type Rng, type Tensor } from '@jacobi/tensor';

/** Makes a tensor of `shape`: what `Dense`'s `init` and `biasInit` options take. */
export type Initializer = (shape: readonly number[], opts: { rng: Rng; dtype: DType }) => Tensor;

/**
 * Fan-in and fan-out of a weight. NOTE: jacobi weights are `[in, out]` (Y = XW), so the fan-in
 * is the second-to-last axis, not the last as for PyTorch's `[out, in]`; leading axes count as
 * a receptive field (Keras's rule for convolution kernels).
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

function uniform(shape: readonly number[], limit: number, r: Rng, dtype: DType): Tensor {
  return rand(shape, { rng: r, dtype }).mul(2 * limit).sub(limit);
}

/** Glorot/Xavier uniform: U(−a, a) with a = gain·√(6 / (fanIn + fanOut)). */
export function glorotUniform(gain = 1): Initializer {
  return (shape, { rng, dtype }) => {
    const { fanIn, fanOut } = fans(shape);
    return uniform(shape, gain * Math.sqrt(6 / Math.max(1, fanIn + fanOut)), rng, dtype);
  };
}
/** Glorot/Xavier normal: N(0, σ²) with σ = gain·√(2 / (fanIn + fanOut)). */
export function glorotNormal(gain = 1): Initializer {
  return (shape, { rng, dtype }) => {
    const { fanIn, fanOut } = fans(shape);
    return randn(shape, { rng, dtype }).mul(gain * Math.sqrt(2 / Math.max(1, fanIn + fanOut)));
  };
}
/** He/Kaiming uniform: U(−a, a) with a = gain·√(3 / fanIn); the default gain √2 suits ReLU. */
export function heUniform(gain = Math.SQRT2): Initializer {
  return (shape, { rng, dtype }) => uniform(shape, gain * Math.sqrt(3 / Math.max(1, fans(shape).fanIn)), rng, dtype);
}
/** He/Kaiming normal: N(0, σ²) with σ = gain / √fanIn; the default gain √2 suits ReLU. */
export function heNormal(gain = Math.SQRT2): Initializer {
  return (shape, { rng, dtype }) => randn(shape, { rng, dtype }).mul(gain / Math.sqrt(Math.max(1, fans(shape).fanIn)));
}
/** All zeros. */
export const zerosInit: Initializer = (shape, { dtype }) => zeros(shape, { dtype });
/** Every element equal to `value`. */
export function constant(value: number): Initializer {
  if (!Number.isFinite(value)) throw new ArgumentError(`constant: value must be a finite number, got ${value}`);
  return (shape, { dtype }) => full(shape, value, { dtype });
}

/** Initialisers by name (aliases included: xavier = glorot, kaiming = he). */
export const initializers = {
  glorotUniform: glorotUniform(),
  xavierUniform: glorotUniform(),
  glorotNormal: glorotNormal(),
  xavierNormal: glorotNormal(),
  heUniform: heUniform(),
  kaimingUniform: heUniform(),
  heNormal: heNormal(),
  kaimingNormal: heNormal(),
  zeros: zerosInit,
} as const satisfies Record<string, Initializer>;

/** A name accepted wherever an initialiser is. */
export type InitializerName = keyof typeof initializers;

export function resolveInitializer(op: string, init: Initializer | InitializerName): Initializer {
  if (typeof init === 'function') return init;
  if (typeof init === 'string' && Object.hasOwn(initializers, init)) return initializers[init];
  throw new ArgumentError(`${op}: unknown initialiser ${JSON.stringify(init)} (expected a function or one of ${Object.keys(initializers).join(', ')})`);
}

let sharedRng: Rng | null = null;
/** The generator used when none is passed: one fixed-seed stream per process. */
export function defaultRng(): Rng {
  return (sharedRng ??= makeRng(0));
}
