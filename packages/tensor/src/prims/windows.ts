// Sliding windows as a pair of linear primitives: unfold (im2col) gathers every window of a
// plane into columns, fold (col2im) sums columns back into the plane. Each is the other's
// transpose, so unfold's VJP is fold and fold's VJP is unfold; each JVP is the op itself.
// Convolution and pooling are composites over them; a window gather written as `take` needs an
// index per element, which costs twice the time of these structured loops.
import type { WindowGeometry } from '../backend/backend.js';
import { activeBackend } from '../backend/registry.js';
import { definePrimitive, type ShapedPrimitive } from '../core/primitive.js';
import { contiguousData, fromArray } from '../core/tensor.js';
import { bind } from '../core/trace.js';
import { shapeSize } from '../shape.js';
import { mergedIntoLeading } from './batching.js';

export type { WindowGeometry };

/** unfold: [N, C, height, width] → [N, C, kH·kW, outH·outW]. */
export const unfoldPrim: ShapedPrimitive<WindowGeometry> = definePrimitive<WindowGeometry>({
  name: 'unfold',
  shape: ([x], g) => ({ shape: [x!.shape[0]!, x!.shape[1]!, g.kernel[0] * g.kernel[1], g.out[0] * g.out[1]], dtype: x!.dtype }),
  impl: ([x], g, { shape, dtype }, target) => {
    const out = target.array(dtype, shapeSize(shape));
    activeBackend().unfold(contiguousData(x!), shape[0]! * shape[1]!, g, out);
    return fromArray(out, shape, dtype);
  },
  vjp: [(g, { params }) => bind(foldPrim, [g], params)],
  jvp: [(dx, { params }) => bind(unfoldPrim, [dx], params)],
  batch: mergedIntoLeading(() => unfoldPrim),
});

/** fold: [N, C, kH·kW, outH·outW] → [N, C, height, width], overlapping taps summed. */
export const foldPrim: ShapedPrimitive<WindowGeometry> = definePrimitive<WindowGeometry>({
  name: 'fold',
  shape: ([cols], g) => ({ shape: [cols!.shape[0]!, cols!.shape[1]!, g.height, g.width], dtype: cols!.dtype }),
  impl: ([cols], g, { shape, dtype }, target) => {
    const out = target.zeros(dtype, shapeSize(shape));
    activeBackend().fold(contiguousData(cols!), shape[0]! * shape[1]!, g, out);
    return fromArray(out, shape, dtype);
  },
  vjp: [(g, { params }) => bind(unfoldPrim, [g], params)],
  jvp: [(dx, { params }) => bind(foldPrim, [dx], params)],
  batch: mergedIntoLeading(() => foldPrim),
});
