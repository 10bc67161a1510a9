// Weight initialisers. Every one draws from an explicit seeded generator, so a model built
// with the same `rng(seed)` has the same weights on every run and every engine.
import { ArgumentError, full, rand, randn, zeros, rng as makeRng, type DType, type Rng, type Tensor } from '@jacobi/tensor';
import { checkDType, checkNumber, checkOptions, checkRng, checkShape, checkString, describeValue } from './validate.js';

/** Makes a tensor of `shape`: what `Dense`'s `init` and `biasInit` options take. */
export type Initializer = (shape: readonly number[], opts: { rng: Rng; dtype: DType }) => Tensor;

/**
 * Fan-in and fan-out of a weight. NOTE: jacobi weights are `[in, out]` (Y = XW), so the fan-in
 * is the second-to-last axis, not the last as for PyTorch's `[out, in]`; leading axes count as
 * a receptive field (Keras's rule for convolution kernels).
 */
export function fans(shape: readonly number[]): {
  /** Inputs feeding each output: `shape[-2]` times the receptive field (`shape[0]` for a 1-D shape, 1 for a scalar). */
  fanIn: number;
  /** Outputs each input feeds: `shape[-1]` times the receptive field (`shape[0]` for a 1-D shape, 1 for a scalar). */
  fanOut: number;
} {
  return fansOf(checkShape('fans', 'shape', shape));
}

function fansOf(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

/**
 * An initialiser named `op` (its errors start with it) from `fill`, which gets a checked shape,
 * generator and dtype.
 */
function initializer(op: string, fill: (shape: number[], r: Rng, dtype: DType) => Tensor): Initializer {
  const init: Initializer = (shape, opts) => {
    const checkedShape = checkShape(op, 'shape', shape);
    const o = checkOptions(op, opts);
    return fill(checkedShape, checkRng(op, 'opts.rng', o.rng), checkDType(op, 'opts.dtype', o.dtype));
  };
  return Object.defineProperty(init, 'name', { value: op });
}

function uniform(shape: readonly number[], limit: number, r: Rng, dtype: DType): Tensor {
  return rand(shape, { rng: r, dtype })
    .mul(2 * limit)
    .sub(limit);
}

/** Glorot/Xavier uniform: U(−a, a) with a = gain·√(6 / (fanIn + fanOut)). */
export function glorotUniform(gain = 1): Initializer {
  checkNumber('glorotUniform', 'gain', gain);
  return initializer('glorotUniform', (shape, r, dtype) => {
    const { fanIn, fanOut } = fansOf(shape);
    return uniform(shape, gain * Math.sqrt(6 / Math.max(1, fanIn + fanOut)), r, dtype);
  });
}
/** Glorot/Xavier normal: N(0, σ²) with σ = gain·√(2 / (fanIn + fanOut)). */
export function glorotNormal(gain = 1): Initializer {
  checkNumber('glorotNormal', 'gain', gain);
  return initializer('glorotNormal', (shape, r, dtype) => {
    const { fanIn, fanOut } = fansOf(shape);
    return randn(shape, { rng: r, dtype }).mul(gain * Math.sqrt(2 / Math.max(1, fanIn + fanOut)));
  });
}
/** He/Kaiming uniform: U(−a, a) with a = gain·√(3 / fanIn); the default gain √2 suits ReLU. */
export function heUniform(gain = Math.SQRT2): Initializer {
  checkNumber('heUniform', 'gain', gain);
  return initializer('heUniform', (shape, r, dtype) => uniform(shape, gain * Math.sqrt(3 / Math.max(1, fansOf(shape).fanIn)), r, dtype));
}
/** He/Kaiming normal: N(0, σ²) with σ = gain / √fanIn; the default gain √2 suits ReLU. */
export function heNormal(gain = Math.SQRT2): Initializer {
  checkNumber('heNormal', 'gain', gain);
  return initializer('heNormal', (shape, r, dtype) =>
    randn(shape, { rng: r, dtype }).mul(gain / Math.sqrt(Math.max(1, fansOf(shape).fanIn))),
  );
}
/** All zeros (`opts.rng` is required by the Initializer type but not used). */
export const zerosInit: Initializer = (shape, opts) => {
  const op = 'zerosInit';
  const checkedShape = checkShape(op, 'shape', shape);
  return zeros(checkedShape, { dtype: checkDType(op, 'opts.dtype', checkOptions(op, opts).dtype) });
};
/** Every element equal to `value`. */
export function constant(value: number): Initializer {
  checkNumber('constant', 'value', value);
  return initializer('constant', (shape, _r, dtype) => full(shape, value, { dtype }));
}

/** Initialisers by name (aliases included: xavier = glorot, kaiming = he). */
export const initializers = {
  /** `glorotUniform()`, gain 1: U(−a, a), a = √(6 / (fanIn + fanOut)); `Dense`'s default weight init. */
  glorotUniform: glorotUniform(),
  /** The same as `glorotUniform` (PyTorch's `xavier_uniform_`). */
  xavierUniform: glorotUniform(),
  /** `glorotNormal()`, gain 1: N(0, σ²), σ = √(2 / (fanIn + fanOut)). */
  glorotNormal: glorotNormal(),
  /** The same as `glorotNormal` (PyTorch's `xavier_normal_`). */
  xavierNormal: glorotNormal(),
  /** `heUniform()`, gain √2 for ReLU: U(−a, a), a = √(6 / fanIn). */
  heUniform: heUniform(),
  /** The same as `heUniform` (PyTorch's `kaiming_uniform_` with `nonlinearity='relu'`, fan-in mode). */
  kaimingUniform: heUniform(),
  /** `heNormal()`, gain √2 for ReLU: N(0, σ²), σ = √(2 / fanIn). */
  heNormal: heNormal(),
  /** The same as `heNormal` (PyTorch's `kaiming_normal_` with `nonlinearity='relu'`, fan-in mode). */
  kaimingNormal: heNormal(),
  /** `zerosInit`: all zeros; `Dense`'s default bias init. */
  zeros: zerosInit,
} as const satisfies Record<string, Initializer>;

/** A name accepted wherever an initialiser is. */
export type InitializerName = keyof typeof initializers;

/**
 * Resolves a function or a name to an initialiser. `op` is the name of the calling function
 * (a layer's constructor) that errors start with.
 *
 * @example
 * resolveInitializer('MyLayer', 'heNormal')([3, 2], { rng: rng(0), dtype: 'float32' }).shape; // [3, 2]
 */
export function resolveInitializer(op: string, init: Initializer | InitializerName): Initializer {
  checkString('resolveInitializer', 'op', op, { nonEmpty: true });
  if (typeof init === 'function') return init;
  if (typeof init === 'string' && Object.hasOwn(initializers, init)) return initializers[init];
  throw new ArgumentError(
    `${op}: unknown initialiser ${describeValue(init)} (expected a function or one of ${Object.keys(initializers).join(', ')})`,
  );
}

let sharedRng: Rng | null = null;
/** The generator used when none is passed: one fixed-seed stream per process. */
export function defaultRng(): Rng {
  return (sharedRng ??= makeRng(0));
}

/** A layer's `opts.rng`, checked, or the shared default generator when it is not given. */
export function rngOption(op: string, opts: { readonly rng?: unknown }): Rng {
  return opts.rng === undefined ? defaultRng() : checkRng(op, 'opts.rng', opts.rng);
}
