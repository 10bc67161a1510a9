// The seed's derivation extended by one layer in front: an embedding lookup X = E[idx] (rows of
// a table E picked by integer ids, repeats allowed), then Y = X W and E = ½‖Y − T‖². By the
// chain rule δ = Y − T, ∂E/∂X = δ Wᵀ, and since each row of X is a copy of one row of E,
// ∂E/∂E[r] = Σ over the positions i with idx[i] = r of (δ Wᵀ)[i]: a scatter-add of the rows of
// δ Wᵀ. The reference below computes that with plain loops; autodiff must agree.
import { describe, it } from 'vitest';
import { grad, noGrad, take, tensor } from '@jacobi/tensor';
import { Embedding } from '@jacobi/nn';
import { assertClose } from './support/compare.js';
import * as M from './support/matrix.js';
import { announceSeed, fc, runs } from './support/properties.js';
import { matrix } from './support/seed-arbitraries.js';

announceSeed('embedding');

interface EmbeddingCase {
  readonly table: M.Matrix; // V × d
  readonly ids: number[]; // n ids in [0, V)
  readonly w: M.Matrix; // d × o
  readonly t: M.Matrix; // n × o
}

const embeddingCase: fc.Arbitrary<EmbeddingCase> = fc
  .record({
    v: fc.integer({ min: 1, max: 6 }),
    d: fc.integer({ min: 1, max: 5 }),
    o: fc.integer({ min: 1, max: 4 }),
    n: fc.integer({ min: 1, max: 8 }),
  })
  .chain(({ v, d, o, n }) =>
    fc.record({
      table: matrix(v, d),
      ids: fc.array(fc.integer({ min: 0, max: v - 1 }), { minLength: n, maxLength: n }),
      w: matrix(d, o),
      t: matrix(n, o),
    }),
  );

/** ∂E/∂table by the hand formula: scatter-add the rows of δ Wᵀ at their ids. */
function tableGradient({ table, ids, w, t }: EmbeddingCase): M.Matrix {
  const x = ids.map((r) => [...table[r]!]);
  const delta = M.zipWith(M.matmul(x, w), t, (y, target) => y - target);
  const dx = M.matmul(delta, M.transpose(w));
  const out = M.zerosMatrix(table.length, table[0]!.length);
  ids.forEach((r, i) => {
    for (let j = 0; j < out[r]!.length; j++) out[r]![j]! += dx[i]![j]!;
  });
  return out;
}

describe('embedding then linear, E = ½‖take(E, ids) W − T‖²', () => {
  it('∂E/∂table is the scatter-add of the rows of δWᵀ (backward and grad)', () => {
    fc.assert(
      fc.property(embeddingCase, (c) => {
        const expected = tableGradient(c);
        const w = tensor(c.w, { dtype: 'float64' });
        const t = tensor(c.t, { dtype: 'float64' });
        const loss = (table: ReturnType<typeof tensor>) => take(table, c.ids, 0).matmul(w).sub(t).square().sum().mul(0.5);
        const table = tensor(c.table, { dtype: 'float64', requiresGrad: true });
        loss(table).backward();
        assertClose('backward', table.grad!, expected, 1e-12);
        assertClose('grad', grad(loss)(tensor(c.table, { dtype: 'float64' })), expected, 1e-12);
        assertClose(
          'index',
          grad((e) => e.index(c.ids).matmul(w).sub(t).square().sum().mul(0.5))(tensor(c.table, { dtype: 'float64' })),
          expected,
          1e-12,
        );
      }),
      { numRuns: runs(100) },
    );
  });
});

describe('the nn Embedding module, E = ½‖emb(ids) W − T‖²', () => {
  it('weight.grad is the same scatter-add, with the padding row (if any) left at zero', () => {
    fc.assert(
      fc.property(embeddingCase, fc.boolean(), (c, padded) => {
        const paddingIdx = padded ? c.ids[0]! : undefined;
        const expected = tableGradient(c);
        if (paddingIdx !== undefined) expected[paddingIdx] = expected[paddingIdx]!.map(() => 0);
        const emb = new Embedding(c.table.length, c.table[0]!.length, { dtype: 'float64', paddingIdx });
        noGrad(() => emb.weight.assign(tensor(c.table, { dtype: 'float64' })));
        const w = tensor(c.w, { dtype: 'float64' });
        emb
          .forward(c.ids)
          .matmul(w)
          .sub(tensor(c.t, { dtype: 'float64' }))
          .square()
          .sum()
          .mul(0.5)
          .backward();
        assertClose('Embedding.forward', emb.weight.grad!, expected, 1e-12);
      }),
      { numRuns: runs(100) },
    );
  });
});
