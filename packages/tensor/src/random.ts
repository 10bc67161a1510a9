// A seeded generator that gives the same numbers on every JavaScript engine: it uses only
// 32-bit integer arithmetic and IEEE-exact operations (+, −, ×, ÷, √), never Math.log or
// Math.random, whose last bits may differ between engines.
import { ArgumentError } from './errors.js';
import { describe } from './arguments.js';

/** A deterministic source of random numbers; make one with `rng(seed)`. */
export interface Rng {
  /** A uniform number in [0, 1) with 53 random bits. */
  uniform(): number;
  /** A standard normal number. */
  normal(): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
}

/** Whether `r` has the methods of an {@link Rng} (what `rng(seed)` makes, or a caller's own). */
export function isRng(r: unknown): r is Rng {
  if (typeof r !== 'object' || r === null) return false;
  const g = r as Record<string, unknown>;
  return typeof g.uniform === 'function' && typeof g.normal === 'function' && typeof g.int === 'function';
}

/** The murmur3 finaliser: a bijection of 32-bit words that maps 0 to 0. */
function mix32(x: number): number {
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Checks a seed: any safe integer (|seed| < 2^53). */
export function checkSeed(op: string, seed: unknown): number {
  if (typeof seed === 'number' && Number.isSafeInteger(seed)) return seed;
  throw new ArgumentError(`${op}: the seed must be an integer in [-(2^53 - 1), 2^53 - 1], got ${describe(seed)}`);
}

/**
 * A seeded random generator (xoshiro128** seeded by splitmix32). The same seed gives the same
 * sequence in Node and in every browser.
 *
 * The seed is any safe integer (|seed| ≤ 2^53 − 1), and the mapping to the generator's state is
 * lossless: different seeds give different sequences. (Its low 32 bits seed splitmix32; the
 * high bits, zero for seeds in [0, 2^32), are mixed into the second state word.) Fractions,
 * larger numbers and non-numbers throw an `ArgumentError`, since rounding them would make
 * `rng(0.5)` and `rng(0)` the same generator.
 *
 * @example
 * const r = rng(42);
 * randn([2, 3], { rng: r });
 */
export function rng(seed: number): Rng {
  return makeGenerator(checkSeed('rng', seed));
}

function makeGenerator(seed: number): Rng {
  // seed = high · 2^32 + low with 0 ≤ low < 2^32; |high| < 2^21 fits in an int32.
  const low = seed % 2 ** 32 < 0 ? (seed % 2 ** 32) + 2 ** 32 : seed % 2 ** 32;
  const high = (seed - low) / 2 ** 32;
  let s = (low ^ 0x9e3779b9) | 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    return mix32(s);
  };
  let a = splitmix();
  let b = (splitmix() ^ mix32(high | 0)) >>> 0;
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
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0)
        throw new ArgumentError(`rng.int: n must be a positive integer below 2^53, got ${describe(n)}`);
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
  return 2 * series + e * Math.LN2;
}
