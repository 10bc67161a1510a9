// A seeded generator that gives the same numbers on every JavaScript engine: it uses only
// 32-bit integer arithmetic and IEEE-exact operations (+, −, ×, ÷, √), never Math.log or
// Math.random, whose last bits may differ between engines.
import { ArgumentError } from './errors.js';

/** A deterministic source of random numbers; make one with `rng(seed)`. */
export interface Rng {
  /** A uniform number in [0, 1) with 53 random bits. */
  uniform(): number;
  /** A standard normal number. */
  normal(): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
}

/**
 * A seeded random generator (xoshiro128** seeded by splitmix32). The same seed gives the same
 * sequence in Node and in every browser.
 *
 * @example
 * const r = rng(42);
 * randn([2, 3], { rng: r });
 */
export function rng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new ArgumentError(`rng: seed must be a finite number, got ${seed}`);
  let s = (Math.trunc(seed) ^ 0x9e3779b9) | 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  let spare: number | null = null;
  // 27 + 26 bits make a double in [0, 1) with every representable step of 2^-53.
  const uniform = (): number => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  return {
    uniform,
    normal: () => {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      // Marsaglia's polar method; the logarithm is our own (see portableLog).
      for (;;) {
        const u = 2 * uniform() - 1;
        const v = 2 * uniform() - 1;
        const q = u * u + v * v;
        if (q === 0 || q >= 1) continue;
        const f = Math.sqrt((-2 * portableLog(q)) / q);
        spare = v * f;
        return u * f;
      }
    },
    int: (n: number) => {
      if (!Number.isInteger(n) || n <= 0) throw new ArgumentError(`rng.int: n must be a positive integer, got ${n}`);
      return Math.floor(uniform() * n);
    },
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Natural log of q in (0, 1) from exactly rounded operations only: q = m·2^e with m in
 * [√½, √2), then log m = 2·atanh(t) with t = (m−1)/(m+1), |t| < 0.172, by its series.
 */
function portableLog(q: number): number {
  let m = q;
  let e = 0;
  while (m < Math.SQRT1_2) {
    m *= 2;
    e--;
  }
  const t = (m - 1) / (m + 1);
  const t2 = t * t;
  let term = t;
  let series = 0;
  for (let k = 1; k < 40; k += 2) {
    series += term / k;
    term *= t2;
  }
  return 2 * series + e * 0.6931471805599453;
}
