// Handing jacobi's data to TensorFlow.js, so both frameworks see the same numbers.
import type { Tensor } from '@jacobi/tensor';
import type { JaxArray, JaxJs, TF, TfTensor } from '../frameworks.js';

/** A float32 tfjs tensor with the values and shape of `t`. */
export function toTf(tf: TF, t: Tensor): TfTensor {
  return tf.tensor(Float32Array.from(t.data()), [...t.shape], 'float32');
}

/** A float32 jax-js array with the values and shape of `t`, on jax-js's default device. */
export function toJax(jax: JaxJs, t: Tensor): JaxArray {
  return jax.numpy.array(Float32Array.from(t.data()), { shape: [...t.shape] });
}
