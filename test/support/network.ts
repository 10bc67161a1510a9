// The seed's three-layer network, built with @jacobi/nn: a Sequential of three Dense layers
// (Y = f(XW + b), weight [in, out], the seed's row-vector convention) given the case's weights,
// and E = halfSquaredError(X₃, T) = ½‖X₃ − T‖². The loss can be evaluated on any parameter
// tensors (tracers included) through `withParameters`, so the same network serves backward(),
// grad, valueAndGrad, vjp and jvp.
import { tensor, type DType, type Tensor } from '@jacobi/tensor';
import { Dense, Sequential, halfSquaredError } from '@jacobi/nn';
import type { Matrix } from './matrix.js';
import type { LayerValues } from './seed-reference.js';

export interface Network {
  readonly model: Sequential;
  /** The parameters (requiresGrad leaves) in `parameters()` order: W₁, b₁, W₂, b₂, W₃, b₃ (biases only if present). */
  readonly params: Tensor[];
  /** Which entry of `params` is layer i's weight and which its bias (or -1). */
  readonly index: readonly { weight: number; bias: number }[];
  /** E = ½‖X₃ − T‖² with the given parameters in place of `params`. */
  loss(params: readonly Tensor[], x0: Tensor, t: Tensor): Tensor;
}

export function matrixTensor(m: Matrix | number[], dtype: DType, requiresGrad = false): Tensor {
  return tensor(m, { dtype, requiresGrad });
}

export function buildNetwork(layers: readonly LayerValues[], dtype: DType): Network {
  const dense = layers.map((l) => {
    const layer = new Dense(l.weight.length, l.weight[0]!.length, { bias: l.bias !== null, activation: l.activation, dtype });
    layer.weight.assign(matrixTensor(l.weight, dtype));
    if (l.bias !== null) layer.bias!.assign(matrixTensor(l.bias, dtype));
    return layer;
  });
  const model = new Sequential(...dense);
  const params = model.parameters();
  const index = dense.map((d) => ({ weight: params.indexOf(d.weight), bias: d.bias === null ? -1 : params.indexOf(d.bias) }));
  return {
    model,
    params,
    index,
    loss: (ps, x0, t) => model.withParameters(ps, () => halfSquaredError(model.forward(x0), t)),
  };
}
