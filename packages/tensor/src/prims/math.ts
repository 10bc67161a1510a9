// Elementwise math primitives: rounding (piecewise constant, gradient 0 as in PyTorch), the
// trigonometric and hyperbolic functions and their inverses, and logarithms and exponentials
// in other bases or accurate near 0. Each writes its derivative once (see elementwise.ts).
import { binary, piecewiseConstant, unary } from './elementwise.js';

export const floorPrim = piecewiseConstant('floor');
export const ceilPrim = piecewiseConstant('ceil');
export const roundPrim = piecewiseConstant('round');
export const truncPrim = piecewiseConstant('trunc');

// d/dx tan x = 1 + tan²x
export const tanPrim = unary('tan', (_x, out) => out.mul(out).add(1));
// d/dx asin x = 1/√(1 − x²)
export const asinPrim = unary('asin', (x) => x.mul(x).neg().add(1).sqrt().reciprocal());
// d/dx acos x = −1/√(1 − x²)
export const acosPrim = unary('acos', (x) => x.mul(x).neg().add(1).sqrt().reciprocal().neg());
// d/dx atan x = 1/(1 + x²)
export const atanPrim = unary('atan', (x) => x.mul(x).add(1).reciprocal());
// d/dx sinh x = cosh x
export const sinhPrim = unary('sinh', (x) => x.cosh());
// d/dx cosh x = sinh x
export const coshPrim = unary('cosh', (x) => x.sinh());
// d/dx asinh x = 1/√(x² + 1)
export const asinhPrim = unary('asinh', (x) => x.mul(x).add(1).sqrt().reciprocal());
// d/dx acosh x = 1/√(x² − 1)
export const acoshPrim = unary('acosh', (x) => x.mul(x).sub(1).sqrt().reciprocal());
// d/dx atanh x = 1/(1 − x²)
export const atanhPrim = unary('atanh', (x) => x.mul(x).neg().add(1).reciprocal());

// d/dx log₂ x = 1/(x ln 2)
export const log2Prim = unary('log2', (x) => x.mul(Math.LN2).reciprocal());
// d/dx log₁₀ x = 1/(x ln 10)
export const log10Prim = unary('log10', (x) => x.mul(Math.LN10).reciprocal());
// d/dx log(1 + x) = 1/(1 + x)
export const log1pPrim = unary('log1p', (x) => x.add(1).reciprocal());
// d/dx (eˣ − 1) = eˣ = out + 1
export const expm1Prim = unary('expm1', (_x, out) => out.add(1));
// d/dx 2ˣ = 2ˣ ln 2
export const exp2Prim = unary('exp2', (_x, out) => out.mul(Math.LN2));

// d/dx erf x = (2/√π)·e^(−x²)
export const erfPrim = unary('erf', (x) =>
  x
    .mul(x)
    .neg()
    .exp()
    .mul(2 / Math.sqrt(Math.PI)),
);
// d/dx erfc x = −(2/√π)·e^(−x²)
export const erfcPrim = unary('erfc', (x) =>
  x
    .mul(x)
    .neg()
    .exp()
    .mul(-2 / Math.sqrt(Math.PI)),
);
// d/dx erfinv x = (√π/2)·e^(erfinv(x)²)
export const erfinvPrim = unary('erfinv', (_x, out) =>
  out
    .mul(out)
    .exp()
    .mul(Math.sqrt(Math.PI) / 2),
);

// atan2(y, x), the angle of the point (x, y): ∂/∂y = x/(x² + y²), ∂/∂x = −y/(x² + y²).
export const atan2Prim = binary(
  'atan2',
  (t, y, x) => t.mul(x).div(x.mul(x).add(y.mul(y))),
  (t, y, x) =>
    t
      .mul(y)
      .div(x.mul(x).add(y.mul(y)))
      .neg(),
);

// copysign(x, y) = |x| with y's sign: ∂/∂x = sign(out)·sign(x) (0 at x = 0, as PyTorch);
// ∂/∂y = 0 (piecewise constant in y).
export const copysignPrim = binary(
  'copysign',
  (t, x, _y, out) => t.mul(out.sign().mul(x.sign())),
  (t) => t.mul(0),
);
// hypot(x, y) = √(x² + y²): ∂/∂x = x/out, ∂/∂y = y/out (NaN at the origin, as PyTorch).
export const hypotPrim = binary(
  'hypot',
  (t, x, _y, out) => t.mul(x).div(out),
  (t, _x, y, out) => t.mul(y).div(out),
);
