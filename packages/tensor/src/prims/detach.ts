// stopGradient as a primitive, for jit: outside a trace, stopGradient drops a tensor's
// derivative traces directly; inside one it must be recorded, so that a replay (which may
// itself be differentiated) cuts the derivative where the traced function did. The identity on
// values, with no derivative in either mode and the batch passed through.
import { definePrimitive, type ShapedPrimitive } from '../core/primitive.js';
import { Tensor } from '../core/tensor.js';

export const stopGradientPrim: ShapedPrimitive<undefined> = definePrimitive<undefined>({
  name: 'stopGradient',
  shape: ([x]) => ({ shape: x!.shape, dtype: x!.dtype }),
  // A new handle on the same storage: a later assign to x does not reach it.
  impl: ([x]) => new Tensor(x!._view),
  vjp: [null],
  jvp: [null],
  batch: ([x], [axis]) => [x!, axis ?? null],
});
