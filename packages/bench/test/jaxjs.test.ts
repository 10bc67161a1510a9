// The jax-js peer in-process at tiny sizes: every W1–W5 cell runs (or says why not), the
// training runs start from jacobi's data and weights and their losses decrease.
import { describe, expect, it } from 'vitest';
import { runBench, type BenchOptions, type CellResult } from '../src/harness.js';
import { formatReport } from '../src/report.js';

const tiny: BenchOptions = {
  quick: true,
  backends: ['js'],
  peers: ['jaxjs'],
  only: ['W1', 'W2', 'W3', 'W4', 'W5'],
  ceiling: false,
  memoryBudgetS: null,
  sizes: {
    matmulN: [8],
    batchMatmul: { batch: 2, m: 4, k: 8, n: 8 },
    elementwise: 64,
    irisSteps: 6,
    mlp: { batch: 4, widths: [16, 8, 4] },
    mlpSteps: 3,
    adds: 20,
  },
  log: () => {},
};

/** The n/a cells the jax-js columns are expected to have, by row and column. */
const expectedNa: Record<string, RegExp> = {
  'W2 tanh(a*b+c) 6e1 elems|jax-js(jit)': /runs in the ', jit' row/,
  'W2 tanh(a*b+c), jit 6e1 elems|jax-js': /runs in the eager row/,
  'W2 sum((a-b)^2) 6e1 elems|jax-js(jit)': /runs in the ', jit' row/,
  'W2 sum((a-b)^2), jit 6e1 elems|jax-js': /runs in the eager row/,
  'W3 iris 4-16-16-3 SGD 6 steps|jax-js(jit)': /runs in the ', jit' row/,
  'W3 iris 4-16-16-3 SGD, jit 6 steps|jax-js': /runs in the eager row/,
  'W3 iris 4-16-16-3 SGD, tidy 6 steps|jax-js': /runs in the eager row/,
  'W3 iris 4-16-16-3 SGD, tidy 6 steps|jax-js(jit)': /runs in the ', jit' row/,
  'W4 MLP 16-8-4 step batch 4|jax-js(jit)': /runs in the ', jit' row/,
  'W4 MLP 16-8-4 step, jit batch 4|jax-js': /runs in the eager row/,
  'W4 MLP 16-8-4 step, tidy batch 4|jax-js': /runs in the eager row/,
  'W4 MLP 16-8-4 step, tidy batch 4|jax-js(jit)': /runs in the ', jit' row/,
  'W5 add [4] recorded 20 adds|jax-js': /records only inside grad/,
  'W5 add [4] recorded 20 adds|jax-js(jit)': /records only inside grad/,
};

const loss = (cell: CellResult | undefined) => (cell?.status === 'ok' ? cell.losses : undefined);

describe('jax-js peer', () => {
  it('runs W1–W5 eagerly and with jit, with decreasing losses that match jacobi', async () => {
    const report = await runBench(tiny, 'test');
    const labels = report.frameworks.map((f) => f.label);
    expect(labels).toEqual(['jacobi(js)', 'jax-js', 'jax-js(jit)']);
    const info = report.jaxjs!;
    if (!info.available) {
      // Where jax-js cannot start, its columns say why instead of failing the run.
      expect(info.error).toBeTruthy();
      for (const row of report.cases) expect(row.results['jax-js']!.status).toBe('unavailable');
      expect(report.notes.some((n) => n.startsWith('jax-js unavailable'))).toBe(true);
      return;
    }
    expect(info.device).toBe('wasm');
    expect(report.notes.some((n) => n.startsWith(`jax-js ${info.version} on its wasm device`))).toBe(true);
    expect(report.cases.map((c) => c.workload)).toEqual([
      'W1',
      'W1',
      'W2',
      'W2',
      'W2',
      'W2',
      'W3',
      'W3',
      'W3',
      'W4',
      'W4',
      'W4',
      'W5',
      'W5',
      'W5',
    ]);
    for (const row of report.cases) {
      for (const label of ['jax-js', 'jax-js(jit)']) {
        const cell = row.results[label]!;
        const na = expectedNa[`${row.key}|${label}`];
        if (na) {
          expect(cell.status, `${row.key} on ${label}`).toBe('n/a');
          if (cell.status === 'n/a') expect(cell.reason).toMatch(na);
          continue;
        }
        expect(cell.status, `${row.key} on ${label}: ${JSON.stringify(cell)}`).toBe('ok');
        if (cell.status === 'ok') expect(Number.isFinite(cell.value) && cell.value > 0).toBe(true);
      }
    }
    // (The tidy rows have no jax-js cells: its eager and jit rows compare.)
    for (const row of report.cases.filter((r) => (r.workload === 'W3' || r.workload === 'W4') && !r.key.includes(', tidy'))) {
      const peer = loss(row.results['jax-js']) ?? loss(row.results['jax-js(jit)']);
      const own = loss(row.results['jacobi(js)']);
      expect(peer, row.key).toBeDefined();
      expect(own, row.key).toBeDefined();
      expect(peer!.last, row.key).toBeLessThan(peer!.first);
      // Same data, same initial weights, same float32 math: the traces agree to rounding.
      expect(peer!.first).toBeCloseTo(own!.first, 3);
      expect(peer!.last).toBeCloseTo(own!.last, 3);
    }
    expect(report.warnings).toEqual([]);
    const text = formatReport(report);
    expect(text).toContain('speedup vs jax-js(jit)');
    expect(text).toContain(`jax-js ${info.version} on its wasm device`);
  });
});
