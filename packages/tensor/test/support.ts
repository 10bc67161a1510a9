// Shared helpers for the tensor package's tests: fast-check arbitraries for shapes and
// values, and comparisons of nested arrays with a tolerance.
import fc from 'fast-check';
import { expect } from 'vitest';
import { tensor, type NestedArray, type Tensor } from '../src/index.js';

/**
 * fast-check runs per property: 12 in CI, scaled by PROPERTY_RUNS/100 like the root suite
 * (`PROPERTY_RUNS=1000` runs ten times as many cases).
 */
export const RUNS = Math.max(1, Math.round((12 * Number(process.env.PROPERTY_RUNS ?? 100)) / 100));

export type Domain = 'any' | 'positive' | 'awayFromZero' | 'unit';

export const shapeArb = (maxRank = 3, maxDim = 3): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 0, maxLength: maxRank });

/** A value in the domain, rounded to a few digits so printed counterexamples stay readable. */
export function valueArb(domain: Domain): fc.Arbitrary<number> {
  const round = (v: number) => Math.round(v * 1000) / 1000;
  switch (domain) {
    case 'positive':
      return fc.double({ min: 0.2, max: 3, noNaN: true }).map(round);
    case 'awayFromZero':
      return fc.tuple(fc.boolean(), fc.double({ min: 0.2, max: 2, noNaN: true })).map(([s, v]) => round(s ? v : -v));
    case 'unit':
      return fc.double({ min: -0.9, max: 0.9, noNaN: true }).map(round);
    default:
      return fc.double({ min: -2, max: 2, noNaN: true }).map(round);
  }
}

export function tensorArb(shape: readonly number[], domain: Domain, dtype: 'float32' | 'float64' = 'float64'): fc.Arbitrary<Tensor> {
  const size = shape.reduce((a, b) => a * b, 1);
  return fc
    .array(valueArb(domain), { minLength: size, maxLength: size })
    .map((values) => tensor(Float64Array.from(values), { shape, dtype }));
}

/** An output shape and two operand shapes that broadcast to it (dims dropped or set to 1). */
export const broadcastPairArb: fc.Arbitrary<[number[], number[]]> = shapeArb().chain((out) =>
  fc.tuple(operandShapeArb(out), operandShapeArb(out)),
);

export function operandShapeArb(out: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}

function flat(x: NestedArray): number[] {
  return typeof x === 'number' ? [x] : x.flatMap((v) => flat(v));
}

/** Elementwise |a − b| ≤ atol + rtol·|b| over nested arrays of equal structure. */
export function expectClose(actual: NestedArray | Tensor, expected: NestedArray | Tensor, rtol = 1e-6, atol = 1e-6): void {
  const a =
    typeof actual === 'object' && actual !== null && !Array.isArray(actual) ? (actual as Tensor).toArray() : (actual as NestedArray);
  const b =
    typeof expected === 'object' && expected !== null && !Array.isArray(expected)
      ? (expected as Tensor).toArray()
      : (expected as NestedArray);
  expect(JSON.stringify(shapeOf(a))).toBe(JSON.stringify(shapeOf(b)));
  const fa = flat(a);
  const fb = flat(b);
  fa.forEach((v, i) => {
    const w = fb[i]!;
    if (Number.isNaN(w)) return expect(v).toBeNaN();
    if (!Number.isFinite(w)) return expect(v).toBe(w);
    if (Math.abs(v - w) > atol + rtol * Math.abs(w)) {
      throw new Error(`element ${i}: ${v} differs from expected ${w} (got ${JSON.stringify(a)}, expected ${JSON.stringify(b)})`);
    }
  });
}

function shapeOf(x: NestedArray): number[] {
  const s: number[] = [];
  let v: NestedArray = x;
  while (Array.isArray(v)) {
    s.push(v.length);
    v = v[0] as NestedArray;
  }
  return s;
}
