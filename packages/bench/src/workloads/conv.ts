// W9: a 2-D convolution, input [32, 3, 32, 32], 16 filters 3×3, padding 1, float32: the forward
// pass, and the forward pass with both gradients (input and filters). TensorFlow.js gets the
// same numbers in its NHWC/HWIO layouts. NOTE: tfjs-wasm has no Conv2DBackpropFilter kernel, so
// its own gradient of tf.conv2d cannot run there; its side computes the two gradients with the
// kernels it has: dX = conv2dTranspose(dY, W) (Conv2DBackpropInput) and dW as a tf.conv2d of the
// input, batch and channels swapped, with dY as the filter (Σ over n, h, w of x·dY).
import { conv2d, randn, rng, vjp, type Tensor } from '@jacobi/tensor';
import type { Tensor4D as Tf4D } from '@tensorflow/tfjs-core';
import type { TF, TfTensor } from '../frameworks.js';
import { toTf } from './convert.js';
import type { BenchCase, Sizes } from './types.js';

type TfPad = Parameters<TF['conv2d']>[3];
/** tf.conv2d with stride 1 on 4-D tensors. */
const conv = (tf: TF, x: TfTensor, w: TfTensor, pad: TfPad): TfTensor => tf.conv2d(x as Tf4D, w as Tf4D, 1, pad);

export function convCases(sizes: Sizes): BenchCase[] {
  const { batch, channels, size, filters, kernel } = sizes.conv;
  const pad = (kernel - 1) / 2;
  let data: { x: Tensor; w: Tensor; g: Tensor } | null = null;
  const inputs = () => {
    const r = rng(21);
    data ??= {
      x: randn([batch, channels, size, size], { rng: r }),
      w: randn([filters, channels, kernel, kernel], { rng: r }).mul(0.2),
      g: randn([batch, filters, size, size], { rng: r }),
    };
    return data;
  };
  /** The same data in tfjs's layouts: x NHWC, w HWIO, g NHWC. */
  const tfInputs = (tf: TF): { x: TfTensor; w: TfTensor; g: TfTensor } => {
    const { x, w, g } = inputs();
    return tf.tidy(() => ({
      x: tf.keep(tf.transpose(toTf(tf, x), [0, 2, 3, 1])),
      w: tf.keep(tf.transpose(toTf(tf, w), [2, 3, 1, 0])),
      g: tf.keep(tf.transpose(toTf(tf, g), [0, 2, 3, 1])),
    }));
  };
  const shape = `[${batch},${channels},${size},${size}] * ${filters}x${kernel}x${kernel}, pad ${pad}`;
  const flopsForward = 2 * batch * filters * channels * kernel * kernel * size * size;
  const forward: BenchCase = {
    workload: 'W9',
    title: 'conv2d forward',
    size: shape,
    dtype: 'float32',
    unit: 'ms',
    flops: flopsForward,
    jacobi() {
      const { x, w } = inputs();
      return { run: () => void conv2d(x, w, { padding: pad }) };
    },
    tfjs(tf) {
      const t = tfInputs(tf);
      return {
        run: () => tf.tidy(() => void conv(tf, t.x, t.w, 'same').dataSync()),
        dispose: () => tf.dispose([t.x, t.w, t.g]),
      };
    },
  };
  const withGradients: BenchCase = {
    workload: 'W9',
    title: 'conv2d forward + backward (dX, dW)',
    size: shape,
    dtype: 'float32',
    unit: 'ms',
    flops: 3 * flopsForward,
    jacobi() {
      const { x, w, g } = inputs();
      return {
        run: () => {
          const [, pullback] = vjp((a: Tensor, b: Tensor) => conv2d(a, b, { padding: pad }), x, w);
          pullback(g);
        },
      };
    },
    tfjs(tf) {
      const t = tfInputs(tf);
      const [n, h, wd, c] = t.x.shape as [number, number, number, number];
      return {
        run: () =>
          tf.tidy(() => {
            const y = conv(tf, t.x, t.w, 'same');
            const dx = tf.conv2dTranspose(t.g as Tf4D, t.w as Tf4D, [n, h, wd, c], 1, 'same');
            // dW[i, j, c, o] = Σ x[n, i + h, j + w, c] · dY[n, h, w, o]: batch and channels swapped.
            const xc = tf.transpose(t.x, [3, 1, 2, 0]);
            const gc = tf.transpose(t.g, [1, 2, 0, 3]);
            const dw: TfTensor = tf.transpose(
              conv(tf, xc, gc, [
                [0, 0],
                [pad, pad],
                [pad, pad],
                [0, 0],
              ]),
              [1, 2, 0, 3],
            );
            y.dataSync();
            dx.dataSync();
            dw.dataSync();
          }),
        dispose: () => tf.dispose([t.x, t.w, t.g]),
      };
    },
  };
  return [forward, withGradients];
}
