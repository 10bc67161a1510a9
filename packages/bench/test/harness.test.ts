// The harness in-process at tiny sizes: the result structure, not the timings.
import { describe, expect, it } from 'vitest';
import { runBench, type BenchOptions } from '../src/harness.js';
import { formatReport } from '../src/report.js';
import { measureSimdCeiling, simdModuleBytes } from '../src/simd-ceiling.js';
import { FULL_TIMING, measure } from '../src/timing.js';

const tiny: BenchOptions = {
  quick: true,
  backends: ['js', 'no-such-backend'],
  peers: ['cpu'],
  only: ['W1', 'W4', 'memory'],
  ceiling: false,
  memorySteps: 20,
  memoryBudgetS: null,
  sizes: {
    matmulN: [8],
    batchMatmul: { batch: 2, m: 4, k: 8, n: 8 },
    mlp: { batch: 4, widths: [16, 8, 4] },
    mlpSteps: 3,
  },
  log: () => {},
};

describe('bench harness', () => {
  it('runs W1, W4 and memory against tfjs-cpu and reports every cell', async () => {
    const report = await runBench(tiny, 'test');
    expect(report.mode).toBe('quick');
    expect(report.frameworks.map((f) => f.label)).toEqual(['jacobi(js)', 'tfjs-cpu']);
    expect(report.notes.some((n) => n.includes("'no-such-backend' skipped"))).toBe(true);
    expect(report.cases.map((c) => c.key)).toEqual([
      'W1 matmul N=8',
      'W1 batched matmul [2,4,8]x[8,8]',
      'W4 MLP 16-8-4 step batch 4',
      'W4 MLP 16-8-4 step, tidy batch 4',
      'W4 MLP 16-8-4 step, jit batch 4',
    ]);
    for (const row of report.cases) {
      for (const label of ['jacobi(js)', 'tfjs-cpu']) {
        const cell = row.results[label]!;
        expect(cell.status, `${row.key} on ${label}: ${JSON.stringify(cell)}`).toBe('ok');
        if (cell.status !== 'ok') continue;
        expect(cell.samplesMs.length).toBeGreaterThan(0);
        expect(Number.isFinite(cell.value) && cell.value > 0).toBe(true);
      }
    }
    const mlp = report.cases[2]!.results['jacobi(js)']!;
    expect(mlp.status === 'ok' && mlp.samplesMs.length).toBe(3);
    expect(mlp.status === 'ok' && Number.isFinite(mlp.losses!.first)).toBe(true);
    expect(report.memory.map((m) => m.mode)).toEqual(['eager', 'tidy', 'jit']);
    for (const m of report.memory) {
      expect(m.stepsRun).toBe(20);
      expect(m.checkpoints.map((s) => s.step)).toEqual([2, 20]);
      // The JS backend holds no WebAssembly memory.
      expect(m.samples.every((s) => s.wasmMB === 0)).toBe(true);
    }
    expect(report.machine.cores).toBeGreaterThan(0);
    const text = formatReport(report);
    expect(text).toContain('speedup vs cpu');
    expect(text).toContain('W4 MLP 16-8-4 step');
    expect(JSON.parse(JSON.stringify(report)).cases).toHaveLength(5);
  });

  it('emits a valid SIMD module and measures a positive ceiling', async () => {
    expect(WebAssembly.validate(simdModuleBytes(8))).toBe(true);
    const c = await measureSimdCeiling({ targetMs: 5, accumulators: [8], cores: 1 });
    expect(c.perCoreGflops).toBeGreaterThan(0);
    expect(c.allCoresGflops).toBeGreaterThan(0);
    expect(c.accumulators).toBe(8);
  });
});

describe('timing policy', () => {
  const busy = (ms: number) => () => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  const policy = { ...FULL_TIMING, warmupMs: 0, minReps: 5, minTotalMs: 0, slowMs: 1e9 };

  /** A 4 ms call that counts how often it ran. */
  const counted = () => {
    const state = {
      calls: 0,
      run: () => {
        state.calls++;
        busy(4)();
      },
    };
    return state;
  };

  it('takes a warm-up call of at least longCallMs as the one sample', () => {
    const call = counted();
    const timing = measure(call.run, { ...policy, longCallMs: 3 });
    expect(call.calls).toBe(1);
    expect(timing.samplesMs).toHaveLength(1);
    expect(timing.medianMs).toBeGreaterThanOrEqual(3);
  });

  it('takes the sizing call of a round without warm-up as the one sample where it takes at least longCallMs', () => {
    const call = counted();
    const timing = measure(call.run, { ...policy, warmup: 0, longCallMs: 3 });
    expect(call.calls).toBe(1);
    expect(timing.samplesMs).toHaveLength(1);
  });

  it('times shorter calls as many times as the policy asks', () => {
    expect(measure(busy(1), { ...policy, longCallMs: 1000 }).samplesMs).toHaveLength(5);
  });
});
