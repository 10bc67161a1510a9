// What a workload case is: one size of one workload, with a setup per framework.
import type { TimingPolicy } from '../timing.js';
import type { JaxJs, JaxMode, TF } from '../frameworks.js';

export type Unit = 'GFLOP/s' | 'ms' | 'µs/op' | 'ms/step';

/** The loss at the first and the last step of a training run (to check that it decreases). */
export interface LossTrace {
  first: number;
  last: number;
}

/** A case set up for one framework: `run` is what one timed sample does. */
export interface Prepared {
  run(): void;
  losses?(): LossTrace | undefined;
  dispose?(): void;
}

export interface BenchCase {
  /** 'W1' … 'W9'. */
  workload: string;
  title: string;
  size: string;
  dtype: 'float32' | 'float64';
  unit: Unit;
  /** FLOPs of one run, for GFLOP/s rows. */
  flops?: number;
  /** Operations in one run, for µs/op rows. */
  ops?: number;
  /** Overrides the mode's timing policy (training steps time single steps). */
  timing?: Partial<TimingPolicy>;
  jacobi(): Prepared;
  /** The same math in TensorFlow.js, run on whichever tfjs backend is active. */
  tfjs?(tf: TF): Prepared;
  /**
   * The same math in jax-js, eagerly or through `jax.jit`; a string says why that mode has no
   * figure in this row (e.g. it runs in the row of the other mode).
   */
  jaxjs?(jax: JaxJs, mode: JaxMode): Prepared | string;
  /** Why the peers have no figure, when `tfjs` is absent. */
  peerNote?: string;
  /** The key of the case this one is compared with (W6: its float32 case; W10: the vmap case). */
  baseline?: string;
  /** How the time ratio to the baseline reads, `{}` standing for it (default `f64 time = {}× f32`). */
  ratioLabel?: string;
}

/** The sizes of every workload; `--quick` uses tiny ones. */
export interface Sizes {
  matmulN: number[];
  batchMatmul: { batch: number; m: number; k: number; n: number };
  elementwise: number;
  irisSteps: number;
  mlp: { batch: number; widths: number[] };
  /** Timed steps of W4 (median over them). */
  mlpSteps: number;
  /** Untimed W4 steps before them: at least `mlpWarmup`, and more until `mlpWarmupMs` have passed. */
  mlpWarmup: number;
  /**
   * A JavaScript framework's step keeps getting faster for its first hundred or so steps (V8
   * optimizing its functions, on the same cores as the step), and a training run is thousands
   * of steps long: W4 times the steady state.
   */
  mlpWarmupMs: number;
  adds: number;
  float64MatmulN: number;
  memorySteps: number;
  /** W7: rows gathered (`lookups`) from a [rows, width] table. */
  embedding: { rows: number; width: number; lookups: number };
  /** W8: the embedding gradient over a small table, so that rows repeat. */
  smallVocabulary: { rows: number; width: number; lookups: number };
  /** W9: conv2d of a [batch, channels, size, size] input with `filters` kernel×kernel filters ('same' padding). */
  conv: { batch: number; channels: number; size: number; filters: number; kernel: number };
  /** W10: per-example gradients of an MLP of `widths` over `batch` examples; a [jacobianSize] → [jacobianSize] Jacobian. */
  vmap: { batch: number; widths: number[]; jacobianSize: number };
}

export const FULL_SIZES: Sizes = {
  matmulN: [64, 128, 256, 512, 1024],
  batchMatmul: { batch: 16, m: 128, k: 256, n: 256 },
  elementwise: 1_000_000,
  irisSteps: 1000,
  mlp: { batch: 128, widths: [784, 256, 128, 10] },
  mlpSteps: 50,
  mlpWarmup: 5,
  mlpWarmupMs: 1500,
  adds: 10_000,
  float64MatmulN: 256,
  memorySteps: 10_000,
  embedding: { rows: 50_000, width: 128, lookups: 4096 },
  smallVocabulary: { rows: 1000, width: 128, lookups: 4096 },
  conv: { batch: 32, channels: 3, size: 32, filters: 16, kernel: 3 },
  vmap: { batch: 128, widths: [784, 256, 10], jacobianSize: 64 },
};

export const QUICK_SIZES: Sizes = {
  matmulN: [32, 64],
  batchMatmul: { batch: 4, m: 16, k: 32, n: 32 },
  elementwise: 10_000,
  irisSteps: 30,
  mlp: { batch: 16, widths: [784, 64, 32, 10] },
  mlpSteps: 3,
  mlpWarmup: 0,
  mlpWarmupMs: 0,
  adds: 1000,
  float64MatmulN: 32,
  memorySteps: 200,
  embedding: { rows: 1000, width: 16, lookups: 64 },
  smallVocabulary: { rows: 16, width: 64, lookups: 64 },
  conv: { batch: 2, channels: 3, size: 8, filters: 4, kernel: 3 },
  vmap: { batch: 4, widths: [784, 16, 10], jacobianSize: 8 },
};

export const caseKey = (c: Pick<BenchCase, 'workload' | 'title' | 'size'>): string => `${c.workload} ${c.title} ${c.size}`;
