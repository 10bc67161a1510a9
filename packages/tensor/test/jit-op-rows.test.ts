// Every row of the op table (op-rows.ts) through jit (the rows that can be traced: not those whose
// result depends on values): the function, and the gradient of its sum, replayed five times on the default backend (the third call on runs lowered wherever the
// program can be: core/lowered.ts) on the case's inputs and on the same values in another order,
// bit for bit the eager results.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { floatPositions, operationRows } from './op-rows.js';
import { RUNS } from './support.js';
import { loweredReplays } from '../src/core/lowered.js';
import { activeBackend } from '../src/backend/registry.js';

const specs = operationRows;

/** The same values in reverse order (the same domain, other positions). */
const reversed = (x: Tensor): Tensor => J.tensor(Array.from(x.data()).reverse(), { dtype: x.dtype }).reshape(x.shape);

/** The bits of every tensor in `out` (NaN payloads aside: NaN equals NaN). */
const bits = (out: Tensor | Tensor[]): number[][] => (Array.isArray(out) ? out : [out]).map((t) => Array.from(t.data()));

// The rows whose programs ran lowered at least once (take at traced positions, for one, never does).
const lowered = new Set<string>();

describe('every op row under jit equals the eager op, lowered calls included', () => {
  for (const spec of specs) {
    it(spec.name, () => {
      fc.assert(
        fc.property(spec.inputs, (xs) => {
          const floats = floatPositions(xs);
          const value = J.jit(spec.fn);
          const gradOfSum = floats.length > 0 ? J.grad((...a: Tensor[]) => spec.fn(...a).sum(), { argnums: floats }) : null;
          const jitGrad = gradOfSum === null ? null : J.jit(gradOfSum);
          const cases = [xs, xs.map(reversed), xs, xs.map(reversed), xs];
          try {
            value(...xs);
          } catch (e) {
            // A row whose result depends on values (maskedSelect's size, scatter's positions) cannot be traced.
            if (e instanceof J.TraceError) return;
            throw e;
          }
          const before = loweredReplays();
          cases.forEach((args, call) => {
            expect(bits(value(...args)), `${spec.name}, call ${call}`).toEqual(bits(spec.fn(...args)));
            if (jitGrad !== null) expect(bits(jitGrad(...args)), `grad of ${spec.name}, call ${call}`).toEqual(bits(gradOfSum!(...args)));
          });
          if (loweredReplays() > before) lowered.add(spec.name);
        }),
        { numRuns: Math.max(1, Math.round(RUNS / 3)) },
      );
    });
  }
  it('ran most rows lowered (on a backend with memory of its own)', () => {
    // The JS backend (JACOBI_BACKEND=js) has no memory of its own and lowers nothing.
    if (activeBackend().resident === undefined) return;
    expect(lowered.size).toBeGreaterThan(0.8 * specs.length);
  });
});
