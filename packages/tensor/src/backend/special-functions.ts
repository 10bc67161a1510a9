// Scalar special functions the JS kernels need and Math lacks: erf, erfc and erfinv in float64.
// Written from the classical expansions: the Maclaurin series, Taylor series of erfc around
// sixteen centers, and the continued fraction (Abramowitz & Stegun 7.1.14). Measured against a
// 200-bit reference (mpmath) over 60,000 points of [−6, 6] and 30,000 of [6, 26.5]: erf within
// 4 ulp, erfc within 4 ulp (relative, so also in its tail); erfinv within 4 ulp where
// |erfinv x| ≤ 4.5. packages/tensor/test/math.test.ts checks those bounds against its own
// 1,150-bit reference.

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

// erfc on [0.5, 2.5), where the continued fraction needs hundreds of levels, by the Taylor
// series around the nearest of sixteen centers c (|h| = |x − c| ≤ 1/16). With erfc' = −(2/√π)e^(−x²)
// and (d/dx)ⁿ e^(−x²) = (−1)ⁿHₙ(x)e^(−x²) (Hermite polynomials, Hₙ₊₁ = 2xHₙ − 2nHₙ₋₁):
//   erfc(c + h) = erfc(c) − (2/√π)e^(−c²) Σₙ (−1)ⁿ Hₙ(c) hⁿ⁺¹/(n+1)!
// NOTE: the short step keeps the subtraction from erfc(c) under a bit of cancellation.
const TAYLOR_LOW = 0.5;
const TAYLOR_HIGH = 2.5;
const TAYLOR_STEP = 0.125;
const TAYLOR_CENTERS = Array.from({ length: 16 }, (_, i) => TAYLOR_LOW + TAYLOR_STEP * (i + 0.5));
// erfc(c) and (2/√π)e^(−c²) at the centers, correctly rounded: computed with mpmath at 200 bits
// (data, not code). The continued fraction's own few ulp here would add to every value below.
const ERFC_AT_CENTERS = [
  0.42632554338440803, 0.33091533711391874, 0.25053597441363795, 0.1848975989656002, 0.13294173056504724, 0.0930782802183135,
  0.06343142528861129, 0.042059393943539934, 0.02712538617906646, 0.01701028339802197, 0.010369374205224815, 0.0061431936047868,
  0.003536249125209789, 0.001977491183610797, 0.0010740732907223848, 0.0005665432545801649,
];
const SLOPE_AT_CENTERS = [
  0.8223213592243077, 0.7033687321576001, 0.5831131597762814, 0.46854458689539813, 0.36490289117800395, 0.2754431531414426,
  0.20151851572462268, 0.14289802537593801, 0.09821228080128248, 0.06542348334839115, 0.042240575617668474, 0.02643347677803051,
  0.01603271410867742, 0.009425146402332227, 0.0053702865406233535, 0.0029657539001367375,
];

function erfcTaylor(x: number): number {
  const i = Math.min(TAYLOR_CENTERS.length - 1, Math.floor((x - TAYLOR_LOW) / TAYLOR_STEP));
  const c = TAYLOR_CENTERS[i]!;
  const h = x - c;
  // Σₙ (−1)ⁿ Hₙ(c) hⁿ⁺¹/(n+1)!, with the Hermite values by their recurrence.
  let hermitePrev = 0;
  let hermite = 1; // H₀
  let power = h; // hⁿ⁺¹/(n+1)!
  let sum = power;
  for (let n = 0; n < 60; n++) {
    const next = 2 * c * hermite - 2 * n * hermitePrev;
    hermitePrev = hermite;
    hermite = next;
    power *= h / (n + 2);
    const term = (n % 2 === 0 ? -1 : 1) * hermite * power;
    sum += term;
    if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
  }
  return ERFC_AT_CENTERS[i]! - SLOPE_AT_CENTERS[i]! * sum;
}

/** erfc x for x ≥ 0.5: the Taylor series up to 2.5, the continued fraction (at most 84 levels) beyond. */
function erfcPositive(x: number): number {
  return x < TAYLOR_HIGH ? erfcTaylor(x) : erfcFraction(x);
}

/**
 * erf x for |x| < 0.5 by its Maclaurin series (2/√π)Σ(−1)ⁿx^(2n+1)/(n!(2n+1)): with x² ≤ 1/4
 * the terms shrink fourfold each step, so the alternation costs no digits.
 */
function erfMaclaurin(x: number): number {
  const x2 = x * x;
  let power = x; // (−1)ⁿ x^(2n+1)/n!
  let sum = x;
  for (let n = 1; n < 30; n++) {
    power *= -x2 / n;
    const term = power / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/** The error function (2/√π)∫₀ˣ e^(−t²) dt. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  // NOTE: from 0.5 on, 1 − erfc is closer than the series, whose terms lose a few ulp there.
  if (ax < 0.5) return erfMaclaurin(x);
  // NOTE: beyond 6, erfc x < 2e-17 is below half an ulp of 1.
  const e = ax >= 6 ? 1 : 1 - erfcPositive(ax);
  return x < 0 ? -e : e;
}

/** The complementary error function 1 − erf x, accurate (relatively) for large x too. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  // NOTE: below −6, 2 − erfc(−x) rounds to 2.
  if (x < 0.5) return x > -0.5 ? 1 - erfMaclaurin(x) : x > -6 ? 2 - erfcPositive(-x) : 2;
  // NOTE: erfc 27.3 is below the smallest subnormal double.
  return x > 27.3 ? 0 : erfcPositive(x);
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
