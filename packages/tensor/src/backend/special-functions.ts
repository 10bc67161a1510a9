// Scalar special functions the JS kernels need and Math lacks: erf, erfc and erfinv in float64.
// Written from the classical expansions (Abramowitz & Stegun 7.1.6 and 7.1.14). Measured
// against a 1,150-bit reference (packages/tensor/test/math.test.ts): erf within 6 ulp on
// [−6, 6], erfc within 3 ulp (relative, so also in its tail) on [−6, 26.5], erfinv within
// 4 ulp where |erfinv x| ≤ 4.5.

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/√π
const SQRT_PI = 1.772453850905516; // √π
const SPLIT = 134217729; // 2²⁷ + 1, Dekker's splitting constant for doubles

/**
 * e^(−x²) with x² carried as hi + lo exactly (Dekker's product), so that the rounding of x²
 * (up to 27²·2⁻⁵³ ≈ 8e-14 at x = 27) does not become a relative error of e^(−x²).
 */
function expMinusSquare(x: number): number {
  const hi = x * x;
  const c = SPLIT * x;
  const xh = c - (c - x);
  const xl = x - xh;
  const lo = xh * xh - hi + 2 * xh * xl + xl * xl;
  return Math.exp(-hi) * (1 - lo);
}

/**
 * erf x for |x| < 2.5 by the series of positive terms erf x = (2/√π)·e^(−x²)·Σ 2ⁿx^(2n+1)/(2n+1)!!
 * (A&S 7.1.6): no cancellation, at most ~40 terms.
 */
function erfSeries(x: number): number {
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let k = 3; Math.abs(term) > Math.abs(sum) * 1e-17; k += 2) {
    term *= twoX2 / k;
    sum += term;
  }
  return TWO_OVER_SQRT_PI * expMinusSquare(x) * sum;
}

/**
 * erfc x for x ≥ 0.5 by the continued fraction (A&S 7.1.14)
 * erfc x = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated from a
 * fixed depth upward (each step damps the rounding of the steps below it, which the forward
 * Lentz method would accumulate); the depth, found by experiment, converges to double
 * precision: ~1,600 levels at x = 0.5, 20 beyond x = 5.
 */
function erfcFraction(x: number): number {
  const depth = Math.ceil(20 + 400 / (x * x));
  let f = x;
  for (let k = depth; k >= 1; k--) f = x + k / 2 / f;
  return expMinusSquare(x) / (SQRT_PI * f);
}

/** The error function (2/√π)∫₀ˣ e^(−t²) dt. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 1.5) return erfSeries(x);
  // NOTE: beyond 6, erfc x < 2e-17 is below half an ulp of 1.
  const e = ax >= 6 ? 1 : 1 - erfcFraction(ax);
  return x < 0 ? -e : e;
}

/** The complementary error function 1 − erf x, accurate (relatively) for large x too. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  // NOTE: below −6, 2 − erfc(−x) rounds to 2.
  if (x < 0.5) return x > -0.5 ? 1 - erfSeries(x) : x > -6 ? 2 - erfcFraction(-x) : 2;
  // NOTE: erfc 27.3 is below the smallest subnormal double.
  return x > 27.3 ? 0 : erfcFraction(x);
}

/**
 * The inverse error function: the y with erf y = x, for x in [−1, 1] (±∞ at ±1, NaN outside).
 * A starting point from Winitzki's closed form (relative error < 2e-3), then Newton steps on
 * erf y = x, or for |x| > 0.5 on erfc y = 1 − |x| (1 − |x| is exact there, and erfc keeps
 * its digits as y grows, where erf y − x would cancel).
 */
export function erfinv(x: number): number {
  if (Number.isNaN(x) || x < -1 || x > 1) return NaN;
  if (x === 0) return x;
  const ax = Math.abs(x);
  if (ax === 1) return x * Infinity;
  const a = 0.147;
  const l = Math.log((1 - ax) * (1 + ax));
  const t = 2 / (Math.PI * a) + l / 2;
  let y = Math.sqrt(Math.sqrt(t * t - l / a) - t);
  const tail = ax > 0.5;
  const target = tail ? 1 - ax : ax;
  for (let i = 0; i < 4; i++) {
    // f(y) = erf y − x has f' = (2/√π)e^(−y²); erfc's derivative is its negative.
    const residual = tail ? target - erfc(y) : erf(y) - target;
    const step = residual / (TWO_OVER_SQRT_PI * expMinusSquare(y));
    y -= step;
    if (Math.abs(step) <= Math.abs(y) * 1e-17) break;
  }
  return x < 0 ? -y : y;
}
