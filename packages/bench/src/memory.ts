// The memory workload: many W4 training steps with jacobi, eagerly and with the step under jit;
// RSS, heap and the backend's WebAssembly memory at one tenth of the steps and at the end (1k and
// 10k for the full 10,000), and the peak RSS seen. Flat means nothing grows with the step count.
// With `node --expose-gc` the heap is read after a full GC.
import { backendMemoryBytes } from '@jacobi/tensor';
import type { Prepared } from './workloads/types.js';

export interface MemorySample {
  step: number;
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  /** The active backend's WebAssembly linear memory (0 on the JS backend). */
  wasmMB: number;
}

export interface MemoryReport {
  stepsRequested: number;
  stepsRun: number;
  /** Set when the time budget ran out before `stepsRequested`. */
  stoppedByBudget: boolean;
  budgetS: number | null;
  seconds: number;
  msPerStep: number;
  gcBeforeSamples: boolean;
  /** The highest RSS sampled (every 10 steps) during the run. */
  peakRssMB: number;
  /** At one tenth of the requested steps and at the requested count, where reached. */
  checkpoints: MemorySample[];
  /** Every sample, including step 0 (before the first step) and the last step run. */
  samples: MemorySample[];
}

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;

function sample(step: number): MemorySample {
  gc?.();
  const m = process.memoryUsage();
  return {
    step,
    rssMB: m.rss / MB,
    heapUsedMB: m.heapUsed / MB,
    heapTotalMB: m.heapTotal / MB,
    externalMB: m.external / MB,
    arrayBuffersMB: m.arrayBuffers / MB,
    wasmMB: backendMemoryBytes() / MB,
  };
}

export interface MemoryOptions {
  steps: number;
  /** Stop after this many seconds (null: no limit). */
  budgetS: number | null;
  /** A progress line now and then. */
  log?: (line: string) => void;
}

export function runMemory(prepare: () => Prepared, opts: MemoryOptions): MemoryReport {
  const { steps, budgetS } = opts;
  const marks = new Set([Math.round(steps / 10), steps]);
  const sampleEvery = Math.max(1, Math.round(steps / 200));
  const prepared = prepare();
  const samples: MemorySample[] = [sample(0)];
  const checkpoints: MemorySample[] = [];
  let peakRss = samples[0]!.rssMB * MB;
  const t0 = performance.now();
  let step = 0;
  let stoppedByBudget = false;
  while (step < steps) {
    prepared.run();
    step++;
    if (step % 10 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
    if (marks.has(step) || step % sampleEvery === 0) {
      const s = sample(step);
      samples.push(s);
      peakRss = Math.max(peakRss, s.rssMB * MB);
      if (marks.has(step)) checkpoints.push(s);
      if (step % (sampleEvery * 50) === 0)
        opts.log?.(`memory: step ${step}/${steps}, rss ${s.rssMB.toFixed(0)} MB, heap ${s.heapUsedMB.toFixed(1)} MB`);
    }
    if (budgetS !== null && performance.now() - t0 > budgetS * 1000 && step < steps) {
      stoppedByBudget = true;
      break;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  if (samples[samples.length - 1]!.step !== step) samples.push(sample(step));
  prepared.dispose?.();
  return {
    stepsRequested: steps,
    stepsRun: step,
    stoppedByBudget,
    budgetS,
    seconds,
    msPerStep: (seconds * 1000) / Math.max(step, 1),
    gcBeforeSamples: gc !== undefined,
    peakRssMB: peakRss / MB,
    checkpoints,
    samples,
  };
}
