// W3 (the seed's iris network), W4 (an MNIST-size MLP step) and W6's float64 iris run. The jacobi
// side uses plain tensor ops, valueAndGrad and assign under noGrad (eager), or one jit-compiled
// function of the parameters that returns the loss and the updated parameters (jit); the tfjs
// side the same math with tf.train.sgd. Both start from the same data and weights (drawn with jacobi's seeded rng).
import { jit, noGrad, randn, rng, tensor, tidy, valueAndGrad, zeros, type Rng, type Tensor } from '@jacobi/tensor';
import type { BenchCase, LossTrace, Prepared, Sizes } from './types.js';
import type { JaxArray, JaxJs, JaxMode, TF, TfTensor, TfVariable } from '../frameworks.js';
import { toJax, toTf } from './convert.js';

type DType = 'float32' | 'float64';

function oneHot(labels: readonly number[], classes: number, dtype: DType): Tensor {
  const data = dtype === 'float32' ? new Float32Array(labels.length * classes) : new Float64Array(labels.length * classes);
  labels.forEach((label, row) => (data[row * classes + label] = 1));
  return tensor(data, { shape: [labels.length, classes] });
}

const randomLabels = (r: Rng, n: number, classes: number): number[] => Array.from({ length: n }, () => r.int(classes));

/** A fresh copy of a tensor (each run trains from the same starting weights). */
const copy = (t: Tensor): Tensor => tensor(t.data(), { shape: t.shape });

/** One SGD step p ← p − lr·g for every parameter, in place. */
function sgdStep(params: readonly Tensor[], grads: readonly Tensor[], lr: number): void {
  noGrad(() => params.forEach((p, i) => p.assign(p.sub(grads[i]!.mul(lr)))));
}

/**
 * A training step as a step function: eager (updates `params` in place), eager in a `tidy` scope
 * (the same step; what it made and did not return is disposed at its end), or jit (returns new
 * parameters).
 */
type Mode = 'eager' | 'tidy' | 'jit';

/**
 * `step(params) → [loss, params']` for `loss`: with 'eager' valueAndGrad then sgdStep in place;
 * with 'tidy' that step inside `tidy`; with 'jit' the same math as one function of the
 * parameters, jit-compiled, returning fresh ones.
 */
function stepFunction(loss: (...ps: Tensor[]) => Tensor, count: number, lr: number, mode: Mode): (ps: Tensor[]) => [Tensor, Tensor[]] {
  const vg = valueAndGrad(loss, { argnums: Array.from({ length: count }, (_, i) => i) });
  if (mode !== 'jit') {
    const step = (ps: Tensor[]): [Tensor, Tensor[]] => {
      const [value, grads] = vg(...ps);
      sgdStep(ps, grads, lr);
      return [value, ps];
    };
    return mode === 'tidy' ? (ps) => tidy(() => step(ps)) : step;
  }
  const step = jit((ps: Tensor[]): [Tensor, Tensor[]] => {
    const [value, grads] = vg(...ps);
    return [value, ps.map((p, i) => p.sub(grads[i]!.mul(lr)))];
  });
  return (ps) => step(ps);
}

function tfVariables(tf: TF, init: readonly Tensor[]): TfVariable[] {
  return init.map((w) => tf.tidy(() => tf.variable(toTf(tf, w))));
}

/** Runs `minimize`, reading the loss only when asked (a read is a sync point). */
function tfStep(_tf: TF, optimizer: ReturnType<TF['train']['sgd']>, loss: () => TfTensor, vars: TfVariable[], read: boolean): number {
  const cost = optimizer.minimize(loss as () => ReturnType<TF['scalar']>, read, vars);
  if (cost === null) return Number.NaN;
  const value = cost.dataSync()[0]!;
  cost.dispose();
  return value;
}

/**
 * A jax-js SGD step `(params, x, t) → [loss, params']` for `loss(params, x, t)`: valueAndGrad then
 * p − lr·g, eagerly or the whole step through `jax.jit`. jax-js calls consume one reference to
 * each argument, so the step takes ownership of `params` (each used twice: `.ref` once) and of
 * `x` and `t` (callers pass `x.ref`, `t.ref`); what it returns is owned by the caller.
 */
function jaxStep(
  jax: JaxJs,
  loss: (ps: JaxArray[], x: JaxArray, t: JaxArray) => JaxArray,
  lr: number,
  mode: JaxMode,
): { step: (ps: JaxArray[], x: JaxArray, t: JaxArray) => [JaxArray, JaxArray[]]; dispose(): void } {
  const vg = jax.valueAndGrad(loss);
  const step = (ps: JaxArray[], x: JaxArray, t: JaxArray): [JaxArray, JaxArray[]] => {
    const [value, grads] = vg(
      ps.map((p) => p.ref),
      x,
      t,
    );
    return [value, ps.map((p, i) => p.sub(grads[i]!.mul(lr)))];
  };
  if (mode === 'eager') return { step, dispose: () => {} };
  const compiled = jax.jit(step);
  return { step: (ps, x, t) => compiled(ps, x, t), dispose: () => compiled.dispose() };
}

/** The jax-js side of a training case that has an eager and a jit row: the other mode gets a pointer. */
const otherRow = (caseMode: Mode, mode: JaxMode): string | null =>
  caseMode === mode ? null : `jax-js ${mode} runs in the ${mode === 'jit' ? "', jit'" : 'eager'} row`;

/** A row's title suffix for its mode. */
const modeSuffix = (mode: Mode): string => (mode === 'eager' ? '' : `, ${mode}`);

/**
 * Most W3 steps jax-js's eager row runs: its eager training steps keep JavaScript heap they never
 * give back (see docs/benchmarks.md), and one call of 1000 steps ran out of Node's default 4 GB
 * heap after 12 minutes, twice (2-vCPU Xeon, jax-js 0.1.25), ending the whole bench run.
 */
const JAXJS_EAGER_IRIS_MAX_STEPS = 100;
const JAXJS_EAGER_IRIS_NOTE = `jax-js's eager steps leak memory: 1000 ran out of Node's heap; it runs up to ${JAXJS_EAGER_IRIS_MAX_STEPS} (--iris-steps 50)`;

// ---- W3 / W6: X [150, 4], 4-16-16-3, sigmoid everywhere, no biases (the seed), E = ½‖X₃ − T‖².
const IRIS_WIDTHS = [4, 16, 16, 3];
const IRIS_LR = 0.01;

function irisCase(sizes: Sizes, dtype: DType, mode: Mode = 'eager'): BenchCase {
  const steps = sizes.irisSteps;
  let data: { x: Tensor; t: Tensor; weights: Tensor[] } | null = null;
  const irisData = () => {
    if (data) return data;
    const r = rng(3);
    const x = randn([150, 4], { rng: r, dtype });
    const t = oneHot(randomLabels(r, 150, 3), 3, dtype);
    const weights = IRIS_WIDTHS.slice(1).map((out, i) =>
      randn([IRIS_WIDTHS[i]!, out], { rng: r, dtype }).mul(1 / Math.sqrt(IRIS_WIDTHS[i]!)),
    );
    return (data = { x, t, weights });
  };
  return {
    workload: dtype === 'float32' ? 'W3' : 'W6',
    title: `iris 4-16-16-3 SGD${modeSuffix(mode)}`,
    size: `${steps} steps`,
    dtype,
    unit: 'ms',
    timing: { warmup: 1, warmupMs: 3000, minReps: 7, minRepsSlow: 7 },
    jacobi() {
      const { x, t, weights } = irisData();
      const loss = (w1: Tensor, w2: Tensor, w3: Tensor): Tensor =>
        x.matmul(w1).sigmoid().matmul(w2).sigmoid().matmul(w3).sigmoid().sub(t).square().sum().mul(0.5);
      const step = stepFunction(loss, 3, IRIS_LR, mode);
      let trace: LossTrace | undefined;
      return {
        run() {
          let params = weights.map(copy);
          let first = Number.NaN;
          let last = Number.NaN;
          for (let s = 0; s < steps; s++) {
            const [value, next] = step(params);
            if (s === 0) first = value.item();
            if (s === steps - 1) last = value.item();
            params = next;
          }
          trace = { first, last };
        },
        losses: () => trace,
      };
    },
    tfjs:
      dtype === 'float32'
        ? (tf) => {
            const { x: x0, t: t0, weights } = irisData();
            const [x, t] = [toTf(tf, x0), toTf(tf, t0)];
            let trace: LossTrace | undefined;
            return {
              run() {
                const vars = tfVariables(tf, weights);
                const [w1, w2, w3] = vars as [TfVariable, TfVariable, TfVariable];
                const optimizer = tf.train.sgd(IRIS_LR);
                const loss = () => {
                  const x3 = tf.sigmoid(tf.matMul(tf.sigmoid(tf.matMul(tf.sigmoid(tf.matMul(x, w1)), w2)), w3));
                  return tf.mul(tf.sum(tf.square(tf.sub(x3, t))), 0.5);
                };
                let first = Number.NaN;
                let last = Number.NaN;
                for (let s = 0; s < steps; s++) {
                  const value = tfStep(tf, optimizer, loss, vars, s === 0 || s === steps - 1);
                  if (s === 0) first = value;
                  if (s === steps - 1) last = value;
                }
                optimizer.dispose();
                tf.dispose(vars);
                trace = { first, last };
              },
              losses: () => trace,
              dispose: () => tf.dispose([x, t]),
            };
          }
        : undefined,
    jaxjs:
      dtype === 'float32'
        ? (jax, jaxMode) => {
            const elsewhere = otherRow(mode, jaxMode);
            if (elsewhere !== null) return elsewhere;
            if (jaxMode === 'eager' && steps > JAXJS_EAGER_IRIS_MAX_STEPS) return JAXJS_EAGER_IRIS_NOTE;
            const { numpy: np, nn } = jax;
            const { x: x0, t: t0, weights } = irisData();
            const [x, t] = [toJax(jax, x0), toJax(jax, t0)];
            const loss = ([w1, w2, w3]: JaxArray[], xs: JaxArray, ts: JaxArray): JaxArray =>
              np
                .square(nn.sigmoid(np.matmul(nn.sigmoid(np.matmul(nn.sigmoid(np.matmul(xs, w1!)), w2!)), w3!)).sub(ts))
                .sum()
                .mul(0.5);
            const sgd = jaxStep(jax, loss, IRIS_LR, jaxMode);
            let trace: LossTrace | undefined;
            return {
              run() {
                let params = weights.map((w) => toJax(jax, w));
                let first = Number.NaN;
                let last = Number.NaN;
                for (let s = 0; s < steps; s++) {
                  const [value, next] = sgd.step(params, x.ref, t.ref);
                  if (s === 0) first = value.ref.item();
                  if (s === steps - 1) last = value.ref.item();
                  value.dispose();
                  params = next;
                }
                // Reading the last weights makes the lazily dispatched steps run inside the timing.
                for (const p of params) p.dataSync();
                trace = { first, last };
              },
              losses: () => trace,
              dispose: () => {
                x.dispose();
                t.dispose();
                sgd.dispose();
              },
            };
          }
        : undefined,
    peerNote: dtype === 'float64' ? 'no float64 in tfjs' : undefined,
    baseline: dtype === 'float64' ? `W3 iris 4-16-16-3 SGD ${steps} steps` : undefined,
  };
}

export const irisCases = (sizes: Sizes): BenchCase[] => [
  irisCase(sizes, 'float32'),
  irisCase(sizes, 'float32', 'tidy'),
  irisCase(sizes, 'float32', 'jit'),
];
export const float64IrisCase = (sizes: Sizes): BenchCase => irisCase(sizes, 'float64');

// ---- W4: batch × 784-256-128-10 with biases, relu, softmax cross-entropy (batch mean), SGD.
const MLP_LR = 0.05;

interface MlpData {
  x: Tensor;
  t: Tensor;
  /** W1, b1, W2, b2, W3, b3. */
  params: Tensor[];
}

function mlpData(sizes: Sizes): MlpData {
  const { batch, widths } = sizes.mlp;
  const r = rng(4);
  const x = randn([batch, widths[0]!], { rng: r });
  const t = oneHot(randomLabels(r, batch, widths[widths.length - 1]!), widths[widths.length - 1]!, 'float32');
  const params = widths.slice(1).flatMap((out, i) => [randn([widths[i]!, out], { rng: r }).mul(Math.sqrt(2 / widths[i]!)), zeros([out])]);
  return { x, t, params };
}

/** One W4 training step per `run()` with jacobi; also what the memory workload repeats. */
export function jacobiMlp(sizes: Sizes, mode: Mode = 'eager'): Prepared {
  const { x, t, params: init } = mlpData(sizes);
  const layers = init.length / 2;
  const loss = (...ps: Tensor[]): Tensor => {
    let h = x;
    for (let l = 0; l < layers; l++) {
      h = h.matmul(ps[2 * l]!).add(ps[2 * l + 1]!);
      if (l < layers - 1) h = h.relu();
    }
    return t.mul(h.logSoftmax(-1)).sum(-1).mean().neg();
  };
  const step = stepFunction(loss, init.length, MLP_LR, mode);
  let params = init.map(copy);
  let first = Number.NaN;
  let last = Number.NaN;
  return {
    run() {
      const [value, next] = step(params);
      last = value.item();
      if (Number.isNaN(first)) first = last;
      params = next;
    },
    losses: () => ({ first, last }),
  };
}

function mlpCase(sizes: Sizes, mode: Mode): BenchCase {
  const { batch, widths } = sizes.mlp;
  return {
    workload: 'W4',
    title: `MLP ${widths.join('-')} step${modeSuffix(mode)}`,
    size: `batch ${batch}`,
    dtype: 'float32',
    unit: 'ms/step',
    timing: { warmup: sizes.mlpWarmup, warmupMs: sizes.mlpWarmupMs, reps: sizes.mlpSteps },
    jacobi: () => jacobiMlp(sizes, mode),
    tfjs(tf) {
      const { x: x0, t: t0, params } = mlpData(sizes);
      const [x, t] = [toTf(tf, x0), toTf(tf, t0)];
      const vars = tfVariables(tf, params);
      const layers = vars.length / 2;
      const optimizer = tf.train.sgd(MLP_LR);
      const loss = () => {
        let h: TfTensor = x;
        for (let l = 0; l < layers; l++) {
          h = tf.add(tf.matMul(h, vars[2 * l]!), vars[2 * l + 1]!);
          if (l < layers - 1) h = tf.relu(h);
        }
        return tf.neg(tf.mean(tf.sum(tf.mul(t, tf.logSoftmax(h, -1)), -1)));
      };
      let first = Number.NaN;
      let last = Number.NaN;
      return {
        run() {
          last = tfStep(tf, optimizer, loss, vars, true);
          if (Number.isNaN(first)) first = last;
        },
        losses: () => ({ first, last }),
        dispose() {
          optimizer.dispose();
          tf.dispose([x, t, ...vars]);
        },
      };
    },
    jaxjs(jax, jaxMode) {
      const elsewhere = otherRow(mode, jaxMode);
      if (elsewhere !== null) return elsewhere;
      const { numpy: np, nn } = jax;
      const { x: x0, t: t0, params: init } = mlpData(sizes);
      const [x, t] = [toJax(jax, x0), toJax(jax, t0)];
      const layers = init.length / 2;
      const loss = (ps: JaxArray[], xs: JaxArray, ts: JaxArray): JaxArray => {
        let h = xs;
        for (let l = 0; l < layers; l++) {
          h = np.matmul(h, ps[2 * l]!).add(ps[2 * l + 1]!);
          if (l < layers - 1) h = nn.relu(h);
        }
        return np.mean(np.sum(ts.mul(nn.logSoftmax(h, -1)), -1)).neg();
      };
      const sgd = jaxStep(jax, loss, MLP_LR, jaxMode);
      let params = init.map((p) => toJax(jax, p));
      let first = Number.NaN;
      let last = Number.NaN;
      return {
        run() {
          const [value, next] = sgd.step(params, x.ref, t.ref);
          // item() runs the step (jax-js is lazy) and consumes the loss.
          last = value.item();
          if (Number.isNaN(first)) first = last;
          params = next;
        },
        losses: () => ({ first, last }),
        dispose() {
          for (const a of [x, t, ...params]) a.dispose();
          sgd.dispose();
        },
      };
    },
  };
}

/** W4 eagerly, eagerly in tidy scopes, and with jit. */
export const mlpCases = (sizes: Sizes): BenchCase[] => [mlpCase(sizes, 'eager'), mlpCase(sizes, 'tidy'), mlpCase(sizes, 'jit')];
