// Timing with performance.now(): warm-up calls, then repetitions, reported by their median.

/** How many calls to time. */
export interface TimingPolicy {
  /** Untimed calls first: at least `warmup` of them, and more until `warmupMs` have passed. */
  warmup: number;
  warmupMs: number;
  /** A fixed number of timed calls; without it the count adapts to the warm-up time. */
  reps?: number;
  /** Adaptive mode: at least this many timed calls... */
  minReps: number;
  /** ...and enough of them to fill this many milliseconds... */
  minTotalMs: number;
  /** ...but never more than this; calls slower than `slowMs` get exactly `minRepsSlow`. */
  maxReps: number;
  slowMs: number;
  minRepsSlow: number;
  /**
   * In adaptive mode, a call at least this long that sizes the repetitions (a warm-up call, or
   * the one untimed call of a round without warm-up) is the cell's one sample: one call of that
   * length averages out the machine's jitter by itself, and a peer whose training run takes minutes (jax-js's
   * eager W3) would otherwise hold the bench for an hour. The harness then takes no further
   * rounds of that cell. Infinity: never.
   */
  longCallMs: number;
}

export const FULL_TIMING: TimingPolicy = {
  warmup: 1,
  warmupMs: 200,
  minReps: 5,
  minTotalMs: 500,
  maxReps: 1000,
  slowMs: 1000,
  minRepsSlow: 3,
  longCallMs: 10_000,
};
/** `--quick`: every workload once, no warm-up. */
export const QUICK_TIMING: TimingPolicy = { ...FULL_TIMING, warmup: 0, warmupMs: 0, reps: 1 };

export interface Timing {
  medianMs: number;
  samplesMs: number[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Times `fn` under the policy: each timed call is one sample. */
export function measure(fn: () => void, policy: TimingPolicy): Timing {
  const adaptive = policy.reps === undefined;
  // In adaptive mode a round without warm-up still makes one untimed call, which sizes its repetitions.
  const warmup = adaptive ? Math.max(1, policy.warmup) : policy.warmup;
  let warmMs = 0;
  const start = performance.now();
  for (let i = 0; i < warmup || (i > 0 && performance.now() - start < policy.warmupMs); i++) {
    const t0 = performance.now();
    fn();
    warmMs = performance.now() - t0;
    // A call this long has warmed itself up: it is the one sample (a second one of jax-js's eager
    // W3, whose calls leak memory, ran out of Node's 4 GB heap).
    if (adaptive && warmMs >= policy.longCallMs) return { medianMs: warmMs, samplesMs: [warmMs] };
  }
  const reps =
    policy.reps ??
    (warmMs >= policy.slowMs
      ? policy.minRepsSlow
      : Math.min(policy.maxReps, Math.max(policy.minReps, Math.ceil(policy.minTotalMs / Math.max(warmMs, 1e-3)))));
  const samplesMs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    samplesMs.push(performance.now() - t0);
  }
  return { medianMs: median(samplesMs), samplesMs };
}
