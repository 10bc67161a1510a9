// Random instances of the seed's network: sizes n, id, h1, h2, od in 1..8, inputs X₀,
// targets T, weights W₁, W₂, W₃ (and biases), activations f₁, f₂, f₃. Every part shrinks
// (sizes toward 1, numbers toward 0, activations toward identity), so a failure is reported
// on a minimal network.
import { fc } from './properties.js';
import { activationNames, type ActivationName } from './activations.js';
import type { Matrix } from './matrix.js';
import type { LayerValues } from './seed-reference.js';
import type { DType } from '@jacobi/tensor';

export interface SeedCase {
  readonly sizes: { n: number; id: number; h1: number; h2: number; od: number };
  readonly x0: Matrix;
  readonly t: Matrix;
  readonly layers: readonly LayerValues[];
}

/**
 * A number in [-2, 2], exactly representable in the dtype. NOTE: magnitudes below 2⁻¹⁹ (and
 * so subnormals, which float32 flushes as products underflow) are excluded; they would test
 * underflow, not derivatives.
 */
export function value(dtype: DType = 'float64'): fc.Arbitrary<number> {
  if (dtype === 'float32') return fc.integer({ min: -(2 ** 20), max: 2 ** 20 }).map((i) => i / 2 ** 19);
  return fc.double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }).map((v) => (Math.abs(v) < 2 ** -19 ? 0 : v));
}

export function matrix(rows: number, cols: number, dtype: DType = 'float64'): fc.Arbitrary<Matrix> {
  return fc.array(fc.array(value(dtype), { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows });
}

export function vector(length: number, dtype: DType = 'float64'): fc.Arbitrary<number[]> {
  return fc.array(value(dtype), { minLength: length, maxLength: length });
}

export const activation: fc.Arbitrary<ActivationName> = fc.constantFrom(...activationNames);

function layer(fanIn: number, fanOut: number, bias: boolean, dtype: DType): fc.Arbitrary<LayerValues> {
  return fc.record({
    weight: matrix(fanIn, fanOut, dtype),
    bias: bias ? vector(fanOut, dtype) : fc.constant(null),
    activation,
  });
}

const size = fc.integer({ min: 1, max: 8 });

/** A whole instance of the seed's network, with or without biases. */
export function seedCase(dtype: DType = 'float64', opts: { maxSize?: number } = {}): fc.Arbitrary<SeedCase> {
  const dim = opts.maxSize === undefined ? size : fc.integer({ min: 1, max: opts.maxSize });
  return fc.record({ n: dim, id: dim, h1: dim, h2: dim, od: dim, bias: fc.boolean() }).chain(({ bias, ...sizes }) =>
    fc.record({
      sizes: fc.constant(sizes),
      x0: matrix(sizes.n, sizes.id, dtype),
      t: matrix(sizes.n, sizes.od, dtype),
      layers: fc.tuple(
        layer(sizes.id, sizes.h1, bias, dtype),
        layer(sizes.h1, sizes.h2, bias, dtype),
        layer(sizes.h2, sizes.od, bias, dtype),
      ),
    }),
  );
}

/** A readable one-line description of a case, for failure messages. */
export function describeCase(c: SeedCase): string {
  const { n, id, h1, h2, od } = c.sizes;
  const acts = c.layers.map((l) => l.activation).join(', ');
  return `n=${n} id=${id} h1=${h1} h2=${h2} od=${od}, f = (${acts}), biases: ${c.layers[0]!.bias !== null}`;
}
