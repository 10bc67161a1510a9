// Making parameters for the PyTorch-style layers: fresh requiresGrad leaves, filled the way
// PyTorch's `reset_parameters` fills them.
import { full, keep, rand, type DType, type Rng, type Tensor } from '@jacobi/tensor';

/** `t` as a fresh trainable leaf (detached, `requiresGrad`), which a `tidy` scope it is made in does not end. */
export function asParameter(t: Tensor): Tensor {
  const p = keep(t.detach());
  p.requiresGrad = true;
  return p;
}

/** A parameter drawn from U(−bound, bound): PyTorch's `kaiming_uniform_(a=√5)` and bias rule use bound = 1/√fanIn. */
export function uniformParameter(shape: readonly number[], bound: number, r: Rng, dtype: DType): Tensor {
  return asParameter(
    rand(shape, { rng: r, dtype })
      .mul(2 * bound)
      .sub(bound),
  );
}

/** A parameter with every element `value` (norm layers' weight 1 and bias 0). */
export function constantParameter(shape: readonly number[], value: number, dtype: DType): Tensor {
  return asParameter(full(shape, value, { dtype }));
}
