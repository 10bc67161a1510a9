// W7: an embedding lookup, the gather of `lookups` rows from a [rows, width] table (against
// TensorFlow.js's gather), and with its gradient, the scatter-add of the rows' cotangents back
// into a table-shaped tensor (TensorFlow.js's wasm backend cannot run that: no peer figure).
import { randn, rng, take, vjp, type Tensor } from '@jacobi/tensor';
import { toTf } from './convert.js';
import type { BenchCase, Sizes } from './types.js';

export function embeddingCases(sizes: Sizes): BenchCase[] {
  const { rows, width, lookups } = sizes.embedding;
  let data: { table: Tensor; cotangent: Tensor; ids: number[] } | null = null;
  const inputs = () => {
    const r = rng(17);
    data ??= {
      table: randn([rows, width], { rng: r }),
      cotangent: randn([lookups, width], { rng: r }),
      ids: Array.from({ length: lookups }, () => r.int(rows)),
    };
    return data;
  };
  const size = `${lookups} of [${rows},${width}]`;
  const lookup: BenchCase = {
    workload: 'W7',
    title: 'embedding take',
    size,
    dtype: 'float32',
    unit: 'ms',
    jacobi() {
      const { table, ids } = inputs();
      return { run: () => void take(table, ids, 0) };
    },
    tfjs(tf) {
      const { table, ids } = inputs();
      const t = toTf(tf, table);
      const idx = tf.tensor1d(ids, 'int32');
      return {
        run: () =>
          tf.tidy(() => {
            tf.gather(t, idx, 0);
          }),
        dispose: () => tf.dispose([t, idx]),
      };
    },
  };
  const withGradient: BenchCase = {
    workload: 'W7',
    title: 'embedding take + scatter-add grad',
    size,
    dtype: 'float32',
    unit: 'ms',
    jacobi() {
      const { table, cotangent, ids } = inputs();
      return {
        run: () => {
          const [, pullback] = vjp((t) => take(t, ids, 0), table);
          pullback(cotangent);
        },
      };
    },
    peerNote: "tfjs-wasm has no UnsortedSegmentSum kernel, which tf.gather's gradient runs",
  };
  return [lookup, withGradient];
}
