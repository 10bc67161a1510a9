// Elementwise primitives. Each writes its derivative once, f'(x) for a unary op and one partial
// per operand for a binary one; the VJP and the JVP both come from it. Rules use Tensor
// methods, i.e. differentiable operations.
import { isFloating } from '../dtype.js';
import type { BinaryKernel, UnaryKernel } from '../backend/backend.js';
import { activeBackend } from '../backend/registry.js';
import {
  definePrimitive,
  type AbstractValue,
  type OutputTarget,
  type Primitive,
  type RuleContext,
  type ShapedPrimitive,
} from '../core/primitive.js';
import { contiguousData, fromArray, type Tensor } from '../core/tensor.js';
import { elementwiseBatch } from './batching.js';

/** Elementwise primitives keep their (already broadcast and cast) first operand's shape and dtype. */
// NOTE: a function declaration, not a const: prims/math.ts builds its primitives with the
// helpers below while this module may still be loading (the Tensor class and the ops import
// each other), and only declarations are initialised that early.
function sameAsFirst([x]: readonly AbstractValue[]): AbstractValue {
  return { shape: x!.shape, dtype: x!.dtype };
}
/** A float function (exp, sin, …) of an int32 or bool tensor is float32, as in PyTorch. */
function floatResult([x]: readonly AbstractValue[]): AbstractValue {
  return { shape: x!.shape, dtype: isFloating(x!.dtype) ? x!.dtype : 'float32' };
}
/** Comparisons and other tests give bool. */
function boolResult([x]: readonly AbstractValue[]): AbstractValue {
  return { shape: x!.shape, dtype: 'bool' };
}

function unaryImpl(kernel: UnaryKernel) {
  return ([x]: readonly Tensor[], _params: undefined, { shape, dtype }: AbstractValue, target: OutputTarget): Tensor => {
    const out = target.array(dtype, x!.size);
    activeBackend().unary(kernel, contiguousData(x!), out);
    return fromArray(out, shape, dtype);
  };
}

/**
 * An elementwise float function from its kernel and its derivative `f'(x)` (given x and f(x)).
 * The Jacobian is diagonal, so the VJP (g·f') and the JVP (dx·f') are the same product.
 * An int32 or bool input gives a float32 result (the kernel reads integers, writes floats).
 */
export function unary(
  kernel: UnaryKernel,
  derivative: (x: Tensor, out: Tensor) => Tensor,
  shape: (inputs: readonly AbstractValue[]) => AbstractValue = floatResult,
): ShapedPrimitive<undefined> {
  const times = (t: Tensor, { inputs, out }: RuleContext<undefined>) => t.mul(derivative(inputs[0]!, out));
  const prim: ShapedPrimitive<undefined> = definePrimitive<undefined>({
    name: kernel,
    shape,
    impl: unaryImpl(kernel),
    vjp: [times],
    jvp: [times],
    batch: elementwiseBatch((): Primitive<undefined> => prim),
    elementwise: { kind: 'unary', kernel },
  });
  return prim;
}

/**
 * One partial derivative of a binary elementwise op, as the product `t · ∂out/∂input` for a
 * cotangent or tangent `t` of the output's shape (written as a product, not as the partial
 * itself, so that `1` and `−1` cost no multiplication).
 */
export type Partial = (t: Tensor, x: Tensor, y: Tensor, out: Tensor) => Tensor;

function binaryImpl(kernel: BinaryKernel) {
  return ([a, b]: readonly Tensor[], _params: undefined, { shape, dtype }: AbstractValue, target: OutputTarget): Tensor => {
    const out = target.array(dtype, a!.size);
    activeBackend().binary(kernel, a!._view, b!._view, shape, out);
    return fromArray(out, shape, dtype);
  };
}

/**
 * A binary elementwise primitive from its kernel and its two partial derivatives, each written
 * once: both the VJP and the JVP of input i apply partial i (the Jacobian in each operand is
 * diagonal, so it is its own transpose).
 */
export function binary(kernel: BinaryKernel, dx: Partial, dy: Partial): ShapedPrimitive<undefined> {
  const rule =
    (partial: Partial) =>
    (t: Tensor, { inputs, out }: RuleContext<undefined>) =>
      partial(t, inputs[0]!, inputs[1]!, out);
  const prim: ShapedPrimitive<undefined> = definePrimitive<undefined>({
    name: kernel,
    shape: sameAsFirst,
    impl: binaryImpl(kernel),
    vjp: [rule(dx), rule(dy)],
    jvp: [rule(dx), rule(dy)],
    batch: elementwiseBatch((): Primitive<undefined> => prim),
    elementwise: { kind: 'binary', kernel },
  });
  return prim;
}

// A linear op's JVP is the op itself, and so is its VJP when it is its own transpose.
export const negPrim: ShapedPrimitive<undefined> = definePrimitive<undefined>({
  name: 'neg',
  shape: sameAsFirst,
  impl: unaryImpl('neg'),
  vjp: [(g) => g.neg()],
  jvp: [(dx) => dx.neg()],
  batch: elementwiseBatch(() => negPrim),
  elementwise: { kind: 'unary', kernel: 'neg' },
});
// d/dx e^x = e^x
export const expPrim = unary('exp', (_x, out) => out);
// d/dx log x = 1/x
export const logPrim = unary('log', (x) => x.reciprocal());
// d/dx √x = 1/(2√x)
export const sqrtPrim = unary('sqrt', (_x, out) => out.mul(2).reciprocal());
// d/dx |x| = sign(x); NOTE: 0 at x = 0, the subgradient PyTorch and JAX choose.
// |x| of an integer is an integer.
export const absPrim = unary('abs', (x) => x.sign(), sameAsFirst);
// d/dx tanh x = 1 − tanh²x
export const tanhPrim = unary('tanh', (_x, out) => out.mul(out).neg().add(1));
// d/dx σ(x) = σ(x)(1 − σ(x))
export const sigmoidPrim = unary('sigmoid', (_x, out) => out.mul(out.neg().add(1)));
// d/dx sin x = cos x
export const sinPrim = unary('sin', (x) => x.cos());
// d/dx cos x = −sin x
export const cosPrim = unary('cos', (x) => x.sin().neg());
/**
 * A piecewise-constant elementwise primitive (sign, floor, round, …). Its derivative is zero
 * wherever it exists; the rules return zeros (not "no rule"), as PyTorch does, so that a
 * backward pass through it works and gives 0, and so do derivatives of that.
 */
export function piecewiseConstant(kernel: UnaryKernel): ShapedPrimitive<undefined> {
  const zero = (t: Tensor) => t.mul(0);
  const prim: ShapedPrimitive<undefined> = definePrimitive<undefined>({
    name: kernel,
    shape: sameAsFirst,
    impl: unaryImpl(kernel),
    vjp: [zero],
    jvp: [zero],
    batch: elementwiseBatch((): Primitive<undefined> => prim),
    elementwise: { kind: 'unary', kernel },
  });
  return prim;
}
export const signPrim = piecewiseConstant('sign');

// d(x + y) = dx + dy;  d(x − y) = dx − dy
export const addPrim = binary(
  'add',
  (t) => t,
  (t) => t,
);
export const subPrim = binary(
  'sub',
  (t) => t,
  (t) => t.neg(),
);
// Bilinear: d(xy) = dx·y + x·dy.
export const mulPrim = binary(
  'mul',
  (t, _x, y) => t.mul(y),
  (t, x) => t.mul(x),
);
// d(x/y) = dx/y − dy·(x/y)/y
export const divPrim = binary(
  'div',
  (t, _x, y) => t.div(y),
  (t, _x, y, out) => t.mul(out).div(y).neg(),
);

// ∂(x^y)/∂x = y·x^(y−1). NOTE: at x = y = 0 this is 0·∞ = NaN; only that point is replaced (by
// 0, the limit along y = 0), so the rule stays differentiable in y everywhere else.
function powDx(x: Tensor, y: Tensor): Tensor {
  return x
    .equal(0)
    .mul(y.equal(0))
    .where(0, y.mul(x.pow(y.sub(1))));
}
// ∂(x^y)/∂y = x^y·log x. NOTE: at x = 0 this is 0·(−∞); the limit for y > 0 is 0, as JAX defines it.
function powDy(x: Tensor, out: Tensor): Tensor {
  return x.equal(0).where(0, out.mul(x.log()));
}
export const powPrim = binary(
  'pow',
  (t, x, y) => t.mul(powDx(x, y)),
  (t, x, _y, out) => t.mul(powDy(x, out)),
);

// The larger input gets the gradient. NOTE: on ties each side gets half, so that
// maximum(x, x) = x has derivative 1 (and minimum, its mirror, too).
function maxShare(x: Tensor, y: Tensor): Tensor {
  return x.greater(y).astype(x.dtype).add(x.equal(y).astype(x.dtype).mul(0.5));
}
export const maximumPrim = binary(
  'maximum',
  (t, x, y) => t.mul(maxShare(x, y)),
  (t, x, y) => t.mul(maxShare(y, x)),
);

/**
 * A binary primitive whose output is a constant to every transform (comparisons, bitwise ops),
 * its dtype bool or, with `sameDType`, its (integer) operands'. The interpreters record no
 * derivative of an int32 or bool result; the null rules say the same.
 */
export function constantBinary(kernel: BinaryKernel, sameDType = false): ShapedPrimitive<undefined> {
  const prim: ShapedPrimitive<undefined> = definePrimitive<undefined>({
    name: kernel,
    shape: sameDType ? sameAsFirst : boolResult,
    impl: binaryImpl(kernel),
    vjp: [null, null],
    jvp: [null, null],
    batch: elementwiseBatch((): Primitive<undefined> => prim),
    elementwise: { kind: 'binary', kernel },
  });
  return prim;
}
/** A unary primitive whose output (of its input's dtype) is a constant to every transform. */
export function constantUnary(kernel: UnaryKernel): ShapedPrimitive<undefined> {
  const prim: ShapedPrimitive<undefined> = definePrimitive<undefined>({
    name: kernel,
    shape: sameAsFirst,
    impl: unaryImpl(kernel),
    vjp: [null],
    jvp: [null],
    batch: elementwiseBatch((): Primitive<undefined> => prim),
    elementwise: { kind: 'unary', kernel },
  });
  return prim;
}
// Comparisons give bool.
const comparison = (kernel: BinaryKernel) => constantBinary(kernel);
export const greaterPrim = comparison('greater');
export const greaterEqualPrim = comparison('greaterEqual');
export const lessPrim = comparison('less');
export const lessEqualPrim = comparison('lessEqual');
export const equalPrim = comparison('equal');
export const notEqualPrim = comparison('notEqual');

// where(c, x, y) is linear in x and y; the condition is never differentiated.
export const wherePrim: ShapedPrimitive<undefined> = definePrimitive<undefined>({
  name: 'where',
  shape: ([, x]) => ({ shape: x!.shape, dtype: x!.dtype }),
  impl: ([c, x, y], _params, { shape, dtype }, target) => {
    const out = target.array(dtype, x!.size);
    activeBackend().where(c!._view, x!._view, y!._view, shape, out);
    return fromArray(out, shape, dtype);
  },
  vjp: [null, (g, { inputs }) => inputs[0]!.where(g, 0), (g, { inputs }) => inputs[0]!.where(0, g)],
  jvp: [null, (dx, { inputs }) => inputs[0]!.where(dx, 0), (dy, { inputs }) => inputs[0]!.where(0, dy)],
  batch: elementwiseBatch(() => wherePrim),
  elementwise: { kind: 'where' },
});
