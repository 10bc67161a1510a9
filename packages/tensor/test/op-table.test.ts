// One table of op specs (op-rows.ts) drives the derivative tests of every primitive and public
// composite: gradcheck in float64 (reverse and forward mode against finite differences, VJP/JVP
// duality, and second order for smooth ops), over random shapes with broadcast operands.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as J from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { isConstantSpec, operationRows, primitiveRows, type ConstantSpec } from './op-rows.js';
import { RUNS, shapeArb, tensorArb } from './support.js';

const specs = operationRows;
const constants: readonly ConstantSpec[] = Object.values(primitiveRows).filter(isConstantSpec);

describe('non-differentiable primitives are constants to both modes', () => {
  for (const spec of constants) {
    it(spec.name, () => {
      fc.assert(
        fc.property(
          shapeArb().chain((s) => tensorArb(s, 'awayFromZero')),
          (x) => {
            const c = spec.constant(x.detach());
            const f = (v: Tensor) => spec.constant(v).mul(v).sum();
            const reverse = J.grad(f)(x);
            const [, forward] = J.jvp(f, [x], [J.onesLike(x)]);
            if (reverse.sub(c).abs().sum().item() !== 0 || forward.sub(c.sum()).abs().item() !== 0) {
              throw new Error(`${spec.name} at ${x}: grad ${reverse}, jvp ${forward}, expected ${c}`);
            }
          },
        ),
        { numRuns: RUNS },
      );
    });
  }
});

describe('every op passes gradcheck (float64, both modes, duality)', () => {
  for (const spec of specs) {
    it(`${spec.name}${spec.smooth ? ', to second order' : ''}`, () => {
      fc.assert(
        fc.property(spec.inputs, (xs) => {
          const report = J.gradcheck(spec.fn, xs, { secondOrder: spec.smooth, ...(spec.eps ? { eps: spec.eps } : {}) });
          if (!report.ok) {
            throw new Error(`${spec.name} at ${xs.map(String).join(', ')}: ${JSON.stringify(report.worst)}`);
          }
        }),
        { numRuns: RUNS },
      );
    });
  }
});
