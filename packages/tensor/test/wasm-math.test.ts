// The float32 functions the WASM backend evaluates in float64 lanes (wide-math.ts), against the
// JS kernel's float32(Math.f(x)): random arrays with SIMD tails, dense sweeps of each domain, and
// the special values (±0, ±∞, NaN, subnormals, huge trigonometric arguments).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UnaryKernel } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { TRIG_REDUCTION_LIMIT, WIDE_F32, type WideKernel } from '../src/backend/wasm/wide-math.js';
import { seededUniform, ulps32 } from './kernel-support.js';

const wasm = createWasmBackend({ smallToFallback: false });
const WIDE = Object.keys(WIDE_F32) as WideKernel[];

/**
 * The documented bound, 1 ulp vs float32 of the float64 reference, for every function: each is
 * one rounding of a result good to ~1e-13, which can differ from the reference's own rounding
 * when both sit within 1e-13 of a midpoint. (Measured over 2^22 samples of each domain: 0 ulp
 * for all but erf, 1. A 0 bound here would bet that no sample ever lands near a midpoint.)
 */
const BOUND: Record<WideKernel, number> = Object.fromEntries(WIDE.map((op) => [op, 1])) as Record<WideKernel, number>;

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1, -1, 0.5, -0.5, 2, 1e-45, -1e-45, 1e-40, -1e-40, 1e-30, 3.4e38, -3.4e38];

/** The float32 with the given bit pattern. */
const fromBits = (bits: number): number => new Float32Array(Uint32Array.of(bits >>> 0).buffer)[0]!;

/** Sample generators per function: its interesting interval, tiny and huge magnitudes, any float32. */
function sweep(op: WideKernel, r: () => number): () => number {
  const uniform = (lo: number, hi: number) => () => lo + (hi - lo) * r();
  const anyFloat = () => fromBits(Math.floor(r() * 2 ** 32));
  const logUniform = () => (r() < 0.5 ? -1 : 1) * 10 ** (r() * 50 - 45);
  const positive = () => fromBits(Math.floor(r() * 0x7f800001));
  const domain: Record<WideKernel, (() => number)[]> = {
    sin: [uniform(-10, 10), uniform(-TRIG_REDUCTION_LIMIT, TRIG_REDUCTION_LIMIT), logUniform],
    cos: [uniform(-10, 10), uniform(-TRIG_REDUCTION_LIMIT, TRIG_REDUCTION_LIMIT), logUniform],
    tan: [uniform(-10, 10), uniform(-TRIG_REDUCTION_LIMIT, TRIG_REDUCTION_LIMIT), logUniform],
    asin: [uniform(-1, 1), logUniform, uniform(0.99, 1)],
    acos: [uniform(-1, 1), logUniform, uniform(-1, -0.99), uniform(0.99, 1)],
    atan: [uniform(-5, 5), logUniform, anyFloat],
    sinh: [uniform(-95, 95), uniform(-1, 1), logUniform],
    cosh: [uniform(-95, 95), uniform(-1, 1)],
    asinh: [uniform(-3, 3), logUniform, anyFloat],
    acosh: [uniform(1, 3), () => fromBits(0x3f800000 + Math.floor(r() * 0x100000)), anyFloat],
    atanh: [uniform(-1, 1), logUniform, () => fromBits(0x3f700000 + Math.floor(r() * 0x100001))],
    log2: [positive, uniform(0.5, 2)],
    log10: [positive, uniform(0.5, 2)],
    log1p: [uniform(-1, 1), logUniform, positive, uniform(-1, -0.5)],
    expm1: [uniform(-100, 100), uniform(-1, 1), logUniform],
    exp2: [uniform(-160, 130), uniform(-1, 1), logUniform],
    erf: [uniform(-5, 5), uniform(-1.2, 1.2), logUniform],
    erfc: [uniform(-5, 11), uniform(-1.2, 1.2), logUniform, uniform(9, 10.2), uniform(0.9, 1.1)],
  };
  const gens = domain[op];
  return () => gens[Math.floor(r() * gens.length)]!();
}

/** The worst ulp distance of the WASM kernel from the JS one over `x`, and where. */
function worstUlps(op: UnaryKernel, x: Float32Array): { ulps: number; at: number } {
  const want = new Float32Array(x.length);
  const got = new Float32Array(x.length);
  jsBackend.unary(op, x, want);
  wasm.unary(op, x, got);
  let worst = { ulps: 0, at: Number.NaN };
  for (let i = 0; i < x.length; i++) {
    const u = ulps32(got[i]!, want[i]!);
    if (u > worst.ulps) worst = { ulps: u, at: x[i]! };
  }
  return worst;
}

describe('wasm float32 functions in float64 lanes', () => {
  it('stay within their bounds on random arrays (lengths not a multiple of 4)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...WIDE),
        fc.array(fc.oneof(fc.float({ noDefaultInfinity: false }), fc.double({ min: -20, max: 20, noNaN: true })), { maxLength: 41 }),
        (op, xs) => {
          const { ulps, at } = worstUlps(op, Float32Array.from(xs));
          if (ulps > BOUND[op]) expect.fail(`${op}(${at}): ${ulps} ulp`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('meet the bounds over dense sweeps of each domain', () => {
    for (const op of WIDE) {
      const x = new Float32Array(1 << 16).map(sweep(op, seededUniform(7)));
      x.set(SPECIAL);
      const { ulps, at } = worstUlps(op, x);
      expect(ulps, `${op} at ${at}`).toBeLessThanOrEqual(BOUND[op]);
    }
  });

  it('give the reference special values exactly (signed zeros, infinities, NaN)', () => {
    const x = Float32Array.from(SPECIAL);
    for (const op of WIDE) {
      const want = new Float32Array(x.length);
      const got = new Float32Array(x.length);
      jsBackend.unary(op, x, want);
      wasm.unary(op, x, got);
      for (let i = 0; i < x.length; i++) {
        const exactly = want[i] === 0 || !Number.isFinite(want[i]!);
        // NOTE: erf(−0) is −0 here; the JS series happens to return +0 (both are erf's zero).
        const ok = exactly
          ? Object.is(got[i], want[i]) || (op === 'erf' && Object.is(x[i], -0) && Object.is(got[i], -0))
          : ulps32(got[i]!, want[i]!) <= BOUND[op];
        if (!ok) expect.fail(`${op}(${x[i]}): ${got[i]} vs ${want[i]}`);
      }
    }
  });

  it('hand trigonometric arguments beyond the reduction limit to the JS kernel, also in place', () => {
    for (const op of ['sin', 'cos', 'tan'] as const) {
      const x = Float32Array.from({ length: 37 }, (_, i) => (i % 3 === 0 ? 1e7 * (i + 1) : i - 18));
      x[5] = 3.4e38;
      x[6] = TRIG_REDUCTION_LIMIT;
      x[7] = -TRIG_REDUCTION_LIMIT * 1.5;
      const want = new Float32Array(x.length);
      jsBackend.unary(op, x, want);
      const inPlace = Float32Array.from(x);
      wasm.unary(op, inPlace, inPlace);
      for (let i = 0; i < x.length; i++) {
        const bound = Math.abs(x[i]!) > TRIG_REDUCTION_LIMIT ? 0 : BOUND[op];
        if (ulps32(inPlace[i]!, want[i]!) > bound) expect.fail(`${op}(${x[i]}): ${inPlace[i]} vs ${want[i]}`);
      }
    }
  });

  it('leave float64 to the JS kernel (bit-identical)', () => {
    const x = Float64Array.from({ length: 70 }, (_, i) => i / 7 - 3);
    for (const op of WIDE) {
      const want = new Float64Array(x.length);
      const got = new Float64Array(x.length);
      jsBackend.unary(op, x, want);
      wasm.unary(op, x, got);
      expect(got, op).toEqual(want);
    }
  });
});
