// Reductions over a sorted list of axes. `sum` is linear; `max` routes the cotangent to the
// elements that attain the maximum.
import { sumDType } from '../dtype.js';
import { activeBackend } from '../backend/registry.js';
import { definePrimitive, type AbstractValue, type OutputTarget, type ShapeRule, type ShapedPrimitive } from '../core/primitive.js';
import { contiguousData, fromArray, type Tensor } from '../core/tensor.js';
import { reducedShape, shapeSize } from '../shape.js';
import { leadingBatch } from './batching.js';

/** The reduction of one example as one of all: the batch axis first, never reduced. */
function batchedAxes({ axes, keepdims }: ReduceParams): ReduceParams {
  return { axes: axes.map((a) => a + 1), keepdims };
}

export interface ReduceParams {
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}

const reduced: ShapeRule<ReduceParams> = ([x], { axes, keepdims }) => ({ shape: reducedShape(x!.shape, axes, keepdims), dtype: x!.dtype });
const summed: ShapeRule<ReduceParams> = (inputs, params) => {
  const { shape, dtype } = reduced(inputs, params);
  return { shape, dtype: sumDType(dtype) };
};

function reduceImpl(kernel: 'sum' | 'max') {
  return ([x]: readonly Tensor[], { axes }: ReduceParams, { shape, dtype }: AbstractValue, target: OutputTarget): Tensor => {
    const out = target.array(dtype, shapeSize(shape));
    activeBackend().reduce(kernel, contiguousData(x!), x!.shape, axes, out);
    return fromArray(out, shape, dtype);
  };
}

/** `g` (of the reduced shape) stretched back over the input's shape. */
function expandBack(g: Tensor, x: Tensor, { axes }: ReduceParams): Tensor {
  return g.reshape(reducedShape(x.shape, axes, true)).broadcastTo(x.shape);
}

export const sumPrim: ShapedPrimitive<ReduceParams> = definePrimitive<ReduceParams>({
  name: 'sum',
  shape: summed,
  impl: reduceImpl('sum'),
  reduction: ({ axes }) => ({ kernel: 'sum', axes }),
  vjp: [(g, { inputs, params }) => expandBack(g, inputs[0]!, params)],
  jvp: [(dx, { params }) => dx.sum(params.axes, params.keepdims)],
  batch: leadingBatch(() => sumPrim, batchedAxes),
});

// NOTE: ties share the cotangent equally (as NumPy-style amax does in JAX and PyTorch), so the
// rule is the same in both modes and the max of a constant row has derivative 1/count per entry.
function maxWeights(x: Tensor, out: Tensor, params: ReduceParams): Tensor {
  const mask = x.equal(expandBack(out, x, params)).astype(x.dtype);
  return mask.div(mask.sum(params.axes, true));
}

export const maxPrim: ShapedPrimitive<ReduceParams> = definePrimitive<ReduceParams>({
  name: 'max',
  shape: reduced,
  impl: reduceImpl('max'),
  reduction: ({ axes }) => ({ kernel: 'max', axes }),
  vjp: [(g, { inputs, out, params }) => expandBack(g, inputs[0]!, params).mul(maxWeights(inputs[0]!, out, params))],
  jvp: [(dx, { inputs, out, params }) => dx.mul(maxWeights(inputs[0]!, out, params)).sum(params.axes, params.keepdims)],
  batch: leadingBatch(() => maxPrim, batchedAxes),
});
