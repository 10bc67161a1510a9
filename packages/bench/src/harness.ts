// Runs the workloads on every framework, side by side in one process, and collects the figures.
import os from 'node:os';
import {
  jacobiFrameworks,
  jaxjsFrameworks,
  tf,
  tfjsFrameworks,
  type Framework,
  type JaxJs,
  type JaxJsInfo,
  type PeerName,
  type TfjsInfo,
} from './frameworks.js';
import { measureSimdCeiling, type SimdCeiling } from './simd-ceiling.js';
import { runMemory, type MemoryReport } from './memory.js';
import { FULL_TIMING, QUICK_TIMING, measure, median, type TimingPolicy } from './timing.js';
import {
  caseKey,
  FULL_SIZES,
  QUICK_SIZES,
  type BenchCase,
  type LossTrace,
  type Prepared,
  type Sizes,
  type Unit,
} from './workloads/types.js';
import { float64MatmulCase, matmulCases } from './workloads/matmul.js';
import { elementwiseCase, reductionCase } from './workloads/elementwise.js';
import { convCases } from './workloads/conv.js';
import { vmapCases } from './workloads/vmap.js';
import { embeddingCases } from './workloads/embedding.js';
import { kernelCases } from './workloads/kernels.js';
import { overheadCases } from './workloads/overhead.js';
import { float64IrisCase, irisCases, jacobiMlp, mlpCases } from './workloads/training.js';

export interface BenchOptions {
  quick: boolean;
  /** jacobi backends to run (`setBackend` names). */
  backends: string[];
  peers: PeerName[];
  /** Workloads to run ('W1' … 'W10', 'memory'); all when empty. */
  only: string[];
  ceiling: boolean;
  /** Steps of the memory workload (default: 10,000, or 200 with `quick`). */
  memorySteps?: number;
  /** Seconds after which the memory workload stops early (null: none). */
  memoryBudgetS: number | null;
  /** Replaces the sizes of the mode (tests use tiny ones). */
  sizes?: Partial<Sizes>;
  log(line: string): void;
}

export type CellResult =
  | {
      status: 'ok';
      medianMs: number;
      samplesMs: number[];
      value: number;
      losses?: LossTrace;
      /** Set where a call took at least the policy's `longCallMs`: the cell was timed on `calls` calls only. */
      long?: { calls: number; longCallMs: number };
    }
  | { status: 'error' | 'unavailable' | 'n/a'; reason: string };

export interface CaseResult {
  key: string;
  workload: string;
  title: string;
  size: string;
  dtype: 'float32' | 'float64';
  unit: Unit;
  flops?: number;
  ops?: number;
  /** Keyed by framework label. */
  results: Record<string, CellResult>;
  /** W6: this case's time over its float32 baseline's, per jacobi framework (W10: the loop's over vmap's). */
  float64OverFloat32?: Record<string, number>;
  baseline?: string;
  ratioLabel?: string;
}

export interface BenchReport {
  date: string;
  command: string;
  machine: { cpu: string; cores: number; node: string; platform: string; arch: string; totalMemMB: number };
  mode: 'quick' | 'full';
  frameworks: { label: string; kind: Framework['kind']; unavailable?: string }[];
  tfjs: TfjsInfo | null;
  /** Set when the jax-js peer was asked for. */
  jaxjs?: JaxJsInfo;
  ceiling: SimdCeiling | null;
  cases: CaseResult[];
  /** The memory workload per mode (eager, in tidy scopes, then jit); empty where it was not run. */
  memory: (MemoryReport & { framework: string; mode: 'eager' | 'tidy' | 'jit'; model: string })[];
  notes: string[];
  warnings: string[];
  seconds: number;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The figure in the row's unit from a median time in milliseconds. */
function valueOf(c: BenchCase, ms: number): number {
  switch (c.unit) {
    case 'GFLOP/s':
      return c.flops! / ms / 1e6;
    case 'µs/op':
      return (ms * 1000) / c.ops!;
    case 'ms':
    case 'ms/step':
      return ms;
  }
}

export function buildCases(sizes: Sizes): BenchCase[] {
  return [
    ...matmulCases(sizes),
    elementwiseCase(sizes),
    elementwiseCase(sizes, 'jit'),
    reductionCase(sizes),
    reductionCase(sizes, 'jit'),
    ...irisCases(sizes),
    ...mlpCases(sizes),
    ...overheadCases(sizes),
    float64MatmulCase(sizes),
    float64IrisCase(sizes),
    ...embeddingCases(sizes),
    ...kernelCases(sizes),
    ...convCases(sizes),
    ...vmapCases(sizes),
  ];
}

/** The case's setup for one framework, or why it has none. */
function setupFor(c: BenchCase, fw: Framework, jax: JaxJs | null): (() => Prepared | string) | string {
  if (fw.kind === 'jacobi') return () => c.jacobi();
  if (fw.kind === 'tfjs') return c.tfjs ? () => c.tfjs!(tf) : (c.peerNote ?? 'not implemented for this framework');
  const mode = fw.jaxMode ?? 'eager';
  return c.jaxjs && jax ? () => c.jaxjs!(jax, mode) : 'the jax-js peer runs W1–W5 only';
}

/**
 * Rounds a case is timed in when its policy does not fix the repetitions: the frameworks take
 * turns, each round a third of the samples, so that a change of the machine's speed while a row
 * runs (seen on the 2-vCPU machine: 2x within seconds) falls on every framework alike instead
 * of on whichever ran then.
 */
const ROUNDS = 3;

/** The policy of round `round` of `rounds`: the warm-up in the first only, the samples shared out. */
function roundPolicy(policy: TimingPolicy, round: number, rounds: number): TimingPolicy {
  if (rounds === 1) return policy;
  const share = (n: number): number => Math.max(1, Math.ceil(n / rounds));
  return {
    ...policy,
    ...(round === 0 ? {} : { warmup: 0, warmupMs: 0 }),
    minReps: share(policy.minReps),
    minTotalMs: policy.minTotalMs / rounds,
    maxReps: share(policy.maxReps),
    minRepsSlow: share(policy.minRepsSlow),
  };
}

/** A framework's prepared case while its row is timed. */
interface OpenCell {
  readonly fw: Framework;
  readonly prepared: Prepared;
  readonly samplesMs: number[];
  error?: string;
  /** A call took at least `longCallMs`: no further rounds. */
  long?: boolean;
}

/** Prepares the case on every framework, times them in turns, and returns each one's cell. */
async function runRow(
  c: BenchCase,
  frameworks: readonly Framework[],
  policy: TimingPolicy,
  jax: JaxJs | null,
): Promise<Record<string, CellResult>> {
  const results: Record<string, CellResult> = {};
  const open: OpenCell[] = [];
  const tensorsBefore = tf.memory().numTensors;
  try {
    for (const fw of frameworks) {
      if (fw.unavailable) {
        results[fw.label] = { status: 'unavailable', reason: fw.unavailable };
        continue;
      }
      const setup = setupFor(c, fw, jax);
      if (typeof setup === 'string') {
        results[fw.label] = { status: 'n/a', reason: setup };
        continue;
      }
      try {
        await fw.activate();
        const made = setup();
        if (typeof made === 'string') results[fw.label] = { status: 'n/a', reason: made };
        else open.push({ fw, prepared: made, samplesMs: [] });
      } catch (e) {
        results[fw.label] = { status: 'error', reason: errorText(e) };
      }
    }
    const rounds = policy.reps === undefined ? ROUNDS : 1;
    for (let round = 0; round < rounds; round++) {
      for (const cell of open) {
        if (cell.error !== undefined || cell.long) continue;
        try {
          await cell.fw.activate();
          const { samplesMs } = measure(() => cell.prepared.run(), roundPolicy(policy, round, rounds));
          cell.samplesMs.push(...samplesMs);
          if (policy.reps === undefined && samplesMs.some((ms) => ms >= policy.longCallMs)) cell.long = true;
        } catch (e) {
          cell.error = errorText(e);
        }
      }
    }
    for (const cell of open) {
      if (cell.error !== undefined) {
        results[cell.fw.label] = { status: 'error', reason: cell.error };
        continue;
      }
      const medianMs = median(cell.samplesMs);
      const losses = cell.prepared.losses?.();
      results[cell.fw.label] = {
        status: 'ok',
        medianMs,
        samplesMs: cell.samplesMs,
        value: valueOf(c, medianMs),
        ...(losses ? { losses } : {}),
        ...(cell.long ? { long: { calls: cell.samplesMs.length, longCallMs: policy.longCallMs } } : {}),
      };
    }
  } finally {
    for (const cell of open) {
      try {
        cell.prepared.dispose?.();
      } catch {
        // The cell's own error, if any, is the one worth reporting.
      }
    }
    if (tf.memory().numTensors > tensorsBefore) {
      console.warn(`warning: the tfjs cells of case ${caseKey(c)} left ${tf.memory().numTensors - tensorsBefore} tensors behind`);
    }
  }
  // In the frameworks' order, as the report lists them.
  return Object.fromEntries(frameworks.map((fw) => [fw.label, results[fw.label]!]));
}

function describeCell(r: CellResult, c: BenchCase): string {
  return r.status === 'ok' ? `${r.value.toPrecision(3)} ${c.unit}` : `${r.status}: ${r.reason}`;
}

export async function runBench(opts: BenchOptions, command = ''): Promise<BenchReport> {
  const t0 = performance.now();
  const sizes: Sizes = { ...(opts.quick ? QUICK_SIZES : FULL_SIZES), ...opts.sizes };
  const wanted = (w: string) => opts.only.length === 0 || opts.only.includes(w);
  const notes: string[] = [];
  const warnings: string[] = [];

  const jacobi = jacobiFrameworks(opts.backends);
  notes.push(...jacobi.notes);
  if (jacobi.frameworks.length === 0) {
    notes.push("no requested jacobi backend is available; running 'js'");
    jacobi.frameworks.push(...jacobiFrameworks(['js']).frameworks);
  }
  const tfjsPeers = opts.peers.filter((p) => p !== 'jaxjs');
  const peers = tfjsPeers.length > 0 ? await tfjsFrameworks(tfjsPeers) : null;
  const jaxjs = opts.peers.includes('jaxjs') ? await jaxjsFrameworks() : null;
  const frameworks = [...jacobi.frameworks, ...(peers?.frameworks ?? []), ...(jaxjs?.frameworks ?? [])];
  if (peers) {
    const w = peers.info.wasm;
    if (opts.peers.includes('wasm')) {
      notes.push(
        w.available
          ? `tfjs-wasm ${peers.info.version}: SIMD ${w.simd ? 'on' : 'off'}, threads ${w.threads ? `on (${w.threadsCount})` : 'off'}`
          : `tfjs-wasm unavailable: ${w.error}`,
      );
    }
    notes.push(`tfjs ${peers.info.version} in production mode`);
  }
  if (jaxjs) {
    const j = jaxjs.info;
    notes.push(j.available ? `jax-js ${j.version} on its ${j.device} device, ${j.threads}` : `jax-js unavailable: ${j.error}`);
  }
  for (const n of notes) opts.log(n);

  let ceiling: SimdCeiling | null = null;
  if (opts.ceiling) {
    opts.log('measuring the WASM SIMD ceiling ...');
    try {
      ceiling = await measureSimdCeiling(opts.quick ? { targetMs: 40 } : {});
    } catch (e) {
      warnings.push(`SIMD ceiling failed: ${errorText(e)}`);
    }
  }

  const cases = buildCases(sizes).filter((c) => wanted(c.workload));
  const results: CaseResult[] = [];
  for (const c of cases) {
    const policy: TimingPolicy = { ...(opts.quick ? QUICK_TIMING : FULL_TIMING), ...c.timing };
    if (opts.quick && c.timing?.reps === undefined) Object.assign(policy, { warmup: 0, warmupMs: 0, reps: 1 });
    const row: CaseResult = {
      key: caseKey(c),
      workload: c.workload,
      title: c.title,
      size: c.size,
      dtype: c.dtype,
      unit: c.unit,
      ...(c.flops === undefined ? {} : { flops: c.flops }),
      ...(c.ops === undefined ? {} : { ops: c.ops }),
      ...(c.baseline === undefined ? {} : { baseline: c.baseline }),
      ...(c.ratioLabel === undefined ? {} : { ratioLabel: c.ratioLabel }),
      results: {},
    };
    row.results = await runRow(c, frameworks, policy, jaxjs?.jax ?? null);
    for (const fw of frameworks) {
      const r = row.results[fw.label]!;
      if (r.status !== 'n/a' && r.status !== 'unavailable') opts.log(`${row.key} [${fw.label}]: ${describeCell(r, c)}`);
      if (r.status === 'error') warnings.push(`${row.key} on ${fw.label} failed: ${r.reason}`);
      if (r.status === 'ok' && r.losses && !(r.losses.last < r.losses.first)) {
        warnings.push(`${row.key} on ${fw.label}: the loss did not decrease (${r.losses.first} -> ${r.losses.last})`);
      }
    }
    results.push(row);
  }
  for (const row of results) {
    const base = results.find((r) => r.key === row.baseline);
    if (!base) continue;
    row.float64OverFloat32 = {};
    for (const fw of jacobi.frameworks) {
      const [a, b] = [row.results[fw.label], base.results[fw.label]];
      if (a?.status === 'ok' && b?.status === 'ok') row.float64OverFloat32[fw.label] = a.medianMs / b.medianMs;
    }
  }

  const memory: BenchReport['memory'] = [];
  if (wanted('memory')) {
    const fw = jacobi.frameworks[0]!;
    await fw.activate();
    const steps = opts.memorySteps ?? sizes.memorySteps;
    for (const mode of ['eager', 'tidy', 'jit'] as const) {
      opts.log(
        `memory: ${steps} W4 steps (${mode}) with ${fw.label}${opts.memoryBudgetS === null ? '' : ` (budget ${opts.memoryBudgetS} s)`} ...`,
      );
      try {
        const report = runMemory(() => jacobiMlp(sizes, mode), { steps, budgetS: opts.memoryBudgetS, log: opts.log });
        memory.push({ ...report, framework: fw.label, mode, model: `MLP ${sizes.mlp.widths.join('-')}, batch ${sizes.mlp.batch}` });
        if (report.stoppedByBudget)
          warnings.push(`memory (${mode}): stopped after ${report.stepsRun} of ${steps} steps (time budget ${opts.memoryBudgetS} s)`);
      } catch (e) {
        warnings.push(`memory workload (${mode}) failed: ${errorText(e)}`);
      }
    }
  }

  return {
    date: new Date().toISOString(),
    command,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.availableParallelism(),
      node: process.version,
      platform: os.platform(),
      arch: os.arch(),
      totalMemMB: Math.round(os.totalmem() / 1024 / 1024),
    },
    mode: opts.quick ? 'quick' : 'full',
    frameworks: frameworks.map((f) => ({ label: f.label, kind: f.kind, ...(f.unavailable ? { unavailable: f.unavailable } : {}) })),
    tfjs: peers?.info ?? null,
    ...(jaxjs ? { jaxjs: jaxjs.info } : {}),
    ceiling,
    cases: results,
    memory,
    notes,
    warnings,
    seconds: (performance.now() - t0) / 1000,
  };
}
