// W8: float32 kernels that have WebAssembly versions beside the JS ones: sin and erf over the
// elementwise size (against tfjs's Sin and Erf), running sums of a [rows, rows] matrix along
// each axis (against tfjs's Cumsum), and an embedding gradient over a small vocabulary, where
// each row is scattered into several times (no peer: tfjs-wasm lacks UnsortedSegmentSum).
import { cumsum, erf, randn, rng, take, vjp, type Tensor } from '@jacobi/tensor';
import { toTf } from './convert.js';
import type { BenchCase, Sizes } from './types.js';

/** A case applying `op` to one seeded standard-normal tensor of `shape` in both frameworks. */
function unaryCase(
  title: string,
  shape: number[],
  op: (x: Tensor) => Tensor,
  tfOp: (tf: Parameters<NonNullable<BenchCase['tfjs']>>[0], x: ReturnType<typeof toTf>) => unknown,
): BenchCase {
  let data: Tensor | null = null;
  const input = () => (data ??= randn(shape, { rng: rng(23) }));
  return {
    workload: 'W8',
    title,
    size: shape.length === 1 ? `${shape[0]!.toExponential(0).replace('+', '')} elems` : `[${shape.join(',')}]`,
    dtype: 'float32',
    unit: 'ms',
    jacobi() {
      const x = input();
      // realize(): a large elementwise result is pending until read; compute it inside the timing.
      return { run: () => void op(x).realize() };
    },
    tfjs(tf) {
      const x = toTf(tf, input());
      return {
        run: () =>
          tf.tidy(() => {
            tfOp(tf, x);
          }),
        dispose: () => tf.dispose(x),
      };
    },
  };
}

export function kernelCases(sizes: Sizes): BenchCase[] {
  const n = sizes.elementwise;
  const side = Math.round(Math.sqrt(n));
  const { rows, width, lookups } = sizes.smallVocabulary;
  let embedding: { table: Tensor; cotangent: Tensor; ids: number[] } | null = null;
  const embeddingInputs = () => {
    const r = rng(29);
    embedding ??= {
      table: randn([rows, width], { rng: r }),
      cotangent: randn([lookups, width], { rng: r }),
      ids: Array.from({ length: lookups }, () => r.int(rows)),
    };
    return embedding;
  };
  return [
    unaryCase(
      'sin',
      [n],
      (x) => x.sin(),
      (tf, x) => tf.sin(x),
    ),
    unaryCase('erf', [n], erf, (tf, x) => tf.erf(x)),
    unaryCase(
      'cumsum, last axis',
      [side, side],
      (x) => cumsum(x, 1),
      (tf, x) => tf.cumsum(x, 1),
    ),
    unaryCase(
      'cumsum, first axis',
      [side, side],
      (x) => cumsum(x, 0),
      (tf, x) => tf.cumsum(x, 0),
    ),
    {
      workload: 'W8',
      title: 'embedding take + scatter-add grad, small vocabulary',
      size: `${lookups} of [${rows},${width}]`,
      dtype: 'float32',
      unit: 'ms',
      jacobi() {
        const { table, cotangent, ids } = embeddingInputs();
        return {
          run: () => {
            const [, pullback] = vjp((t) => take(t, ids, 0), table);
            pullback(cotangent);
          },
        };
      },
      peerNote: "tfjs-wasm has no UnsortedSegmentSum kernel, which tf.gather's gradient runs",
    },
  ];
}
