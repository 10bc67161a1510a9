// Elementwise primitives. Each writes its one derivative f'(x) once; the VJP (g·f') and the
// JVP (dx·f') both come from it. Rules use Tensor methods, i.e. differentiable operations.
import { allocate } from '../dtype.js';
import type { BinaryKernel, UnaryKernel } from '../backend/backend.js';
import { activeBackend } from '../backend/registry.js';
import { definePrimitive, type Primitive } from '../core/primitive.js';
import { contiguousData, fromArray, type Tensor } from '../core/tensor.js';

function unaryImpl(kernel: UnaryKernel) {
  return ([x]: readonly Tensor[]): Tensor => {
    const out = allocate(x!.dtype, x!.size);
    activeBackend().unary(kernel, contiguousData(x!), out);
    return fromArray(out, x!.shape, x!.dtype);
  };
}

/** An elementwise primitive from its kernel and its derivative `f'(x)` (given x and f(x)). */
function unary(kernel: UnaryKernel, derivative: (x: Tensor, out: Tensor) => Tensor): Primitive<undefined> {
  return definePrimitive<undefined>({
    name: kernel,
    impl: unaryImpl(kernel),
    vjp: [(g, { inputs, out }) => g.mul(derivative(inputs[0]!, out))],
    jvp: [(dx, { inputs, out }) => dx.mul(derivative(inputs[0]!, out))],
  });
}

// A linear op's JVP is the op itself, and so is its VJP when it is its own transpose.
export const negPrim: Primitive<undefined> = definePrimitive<undefined>({
  name: 'neg',
  impl: unaryImpl('neg'),
  vjp: [(g) => g.neg()],
  jvp: [(dx) => dx.neg()],
});
// d/dx e^x = e^x
export const expPrim = unary('exp', (_x, out) => out);
// d/dx log x = 1/x
export const logPrim = unary('log', (x) => x.reciprocal());
// d/dx √x = 1/(2√x)
export const sqrtPrim = unary('sqrt', (_x, out) => out.mul(2).reciprocal());
// d/dx |x| = sign(x); NOTE: 0 at x = 0, the subgradient PyTorch and JAX choose.
export const absPrim = unary('abs', (x) => x.sign());
// d/dx tanh x = 1 − tanh²x
export const tanhPrim = unary('tanh', (_x, out) => out.mul(out).neg().add(1));
// d/dx σ(x) = σ(x)(1 − σ(x))
export const sigmoidPrim = unary('sigmoid', (_x, out) => out.mul(out.neg().add(1)));
// d/dx sin x = cos x
export const sinPrim = unary('sin', (x) => x.cos());
// d/dx cos x = −sin x
export const cosPrim = unary('cos', (x) => x.sin().neg());
// sign is piecewise constant: its derivative is zero wherever it exists.
export const signPrim: Primitive<undefined> = definePrimitive<undefined>({
  name: 'sign',
  impl: unaryImpl('sign'),
  vjp: [null],
  jvp: [null],
  nonDifferentiable: true,
});

/** Binary kernels run on operands already broadcast to one shape and cast to one dtype. */
function binaryImpl(kernel: BinaryKernel) {
  return ([a, b]: readonly Tensor[]): Tensor => {
    const out = allocate(a!.dtype, a!.size);
    activeBackend().binary(kernel, a!._view, b!._view, a!.shape, out);
    return fromArray(out, a!.shape, a!.dtype);
  };
}

export const addPrim: Primitive<undefined> = definePrimitive<undefined>({
  name: 'add',
  impl: binaryImpl('add'),
  vjp: [(g) => g, (g) => g],
  jvp: [(dx) => dx, (dy) => dy],
});
export const subPrim: Primitive<undefined> = definePrimitive<undefined>({
  name: 'sub',
  impl: binaryImpl('sub'),
  vjp: [(g) => g, (g) => g.neg()],
  jvp: [(dx) => dx, (dy) => dy.neg()],
});
// Bilinear: d(xy) = dx·y + x·dy.
export const mulPrim: Primitive<undefined> = definePrimitive<undefined>({
  name: 'mul',
  impl: binaryImpl('mul'),
  vjp: [(g, { inputs }) => g.mul(inputs[1]!), (g, { inputs }) => g.mul(inputs[0]!)],
  jvp: [(dx, { inputs }) => dx.mul(inputs[1]!), (dy, { inputs }) => inputs[0]!.mul(dy)],
});
// d(x/y) = dx/y − dy·(x/y)/y
export const divPrim: Primitive<undefined> = definePrimitive<undefined>({
  name: 'div',
  impl: binaryImpl('div'),
  vjp: [(g, { inputs }) => g.div(inputs[1]!), (g, { inputs, out }) => g.mul(out).div(inputs[1]!).neg()],
  jvp: [(dx, { inputs }) => dx.div(inputs[1]!), (dy, { inputs, out }) => dy.mul(out).div(inputs[1]!).neg()],
});

// ∂(x^y)/∂x = y·x^(y−1). NOTE: at x = y = 0 this is 0·∞ = NaN; only that point is replaced (by
// 0, the limit along y = 0), so the rule stays differentiable in y everywhere else.
function powDx(x: Tensor, y: Tensor): Tensor {
  return x.equal(0).mul(y.equal(0)).where(0, y.mul(x.pow(y.sub(1))));
}
// ∂(x^y)/∂y = x^y·log x. NOTE: at x = 0 this is 0·(−∞); the limit for y > 0 is 0, as JAX defines it.
function powDy(x: Tensor, out: Tensor): Tensor {
  return x.equal(0).where(0, out.mul(x.log()));
}
export const powPrim: Primitive<undefined> = definePrimitive<undefined>({
  name: 'pow',
  impl: binaryImpl('pow'),
  vjp: [(g, { inputs }) => g.mul(powDx(inputs[0]!, inputs[1]!)), (g, { inputs, out }) => g.mul(powDy(inputs[0]!, out))],
  jvp: [(dx, { inputs }) => dx.mul(powDx(inputs[0]!, inputs[1]!)), (dy, { inputs, out }) => dy.mul(powDy(inputs[0]!, out))],
});

// The larger input gets the gradient. NOTE: on ties each side gets half, so that
// maximum(x, x) = x has derivative 1 (and minimum, its mirror, too).
function maxShare(x: Tensor, y: Tensor): Tensor {
  return x.greater(y).add(x.equal(y).mul(0.5));
}
export const maximumPrim: Primitive<undefined> = definePrimitive<undefined>({
  name: 'maximum',
  impl: binaryImpl('maximum'),
  vjp: [(g, { inputs }) => g.mul(maxShare(inputs[0]!, inputs[1]!)), (g, { inputs }) => g.mul(maxShare(inputs[1]!, inputs[0]!))],
  jvp: [(dx, { inputs }) => dx.mul(maxShare(inputs[0]!, inputs[1]!)), (dy, { inputs }) => dy.mul(maxShare(inputs[1]!, inputs[0]!))],
});

/** Comparisons give 1 or 0 in the operands' dtype; they are constants to every transform. */
function comparison(kernel: BinaryKernel): Primitive<undefined> {
  return definePrimitive<undefined>({ name: kernel, impl: binaryImpl(kernel), vjp: [null, null], jvp: [null, null], nonDifferentiable: true });
}
export const greaterPrim = comparison('greater');
export const greaterEqualPrim = comparison('greaterEqual');
export const lessPrim = comparison('less');
export const lessEqualPrim = comparison('lessEqual');
export const equalPrim = comparison('equal');
export const notEqualPrim = comparison('notEqual');

// where(c, x, y) is linear in x and y; the condition is never differentiated.
export const wherePrim: Primitive<undefined> = definePrimitive<undefined>({
  name: 'where',
  impl: ([c, x, y]: readonly Tensor[]): Tensor => {
    const out = allocate(x!.dtype, x!.size);
    activeBackend().where(c!._view, x!._view, y!._view, x!.shape, out);
    return fromArray(out, x!.shape, x!.dtype);
  },
  vjp: [null, (g, { inputs }) => inputs[0]!.where(g, 0), (g, { inputs }) => inputs[0]!.where(0, g)],
  jvp: [null, (dx, { inputs }) => inputs[0]!.where(dx, 0), (dy, { inputs }) => inputs[0]!.where(0, dy)],
});
