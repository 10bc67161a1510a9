// Helpers of the batching rules (vmap). A rule receives each input one level down with its
// batch axis (or null: the same for every example) and moves the axes where the primitive
// needs them with ordinary tensor operations (views), so rules compose with every transform.
// NOTE: function declarations only: prims/elementwise.ts builds its rules with these while
// the module graph is still loading (see the note there).
import type { BatchRule, Primitive } from '../core/primitive.js';
import type { Tensor } from '../core/tensor.js';
import { bind } from '../core/trace.js';

/** `x` with axis `from` moved to position `to` (a view). */
export function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const perm = x.shape.map((_, d) => d).filter((d) => d !== from);
  perm.splice(to, 0, from);
  return x.transpose(perm);
}

/** `x` with its batch axis first; an unbatched `x` is broadcast (a view) over `size` examples. */
export function batchFirst(x: Tensor, axis: number | null, size: number): Tensor {
  return axis === null ? x.broadcastTo([size, ...x.shape]) : moveAxis(x, axis, 0);
}

/**
 * The batching rule of an elementwise primitive (any arity; its operands have one shape).
 * Every operand gets its batch axis where the first batched operand has it, so a chain of
 * elementwise operations moves no axis; unbatched operands are broadcast views.
 */
export function elementwiseBatch<P>(self: () => Primitive<P>): BatchRule<P> {
  return (inputs, axes, params, size) => {
    const target = axes.find((a) => a !== null) ?? 0;
    const aligned = inputs.map((x, i) => {
      const a = axes[i];
      return a === null || a === undefined ? moveAxis(x.broadcastTo([size, ...x.shape]), 0, target) : moveAxis(x, a, target);
    });
    return [bind(self(), aligned, params), target];
  };
}

/**
 * The batching rule of a primitive with one input whose params name axes of it: the batch
 * axis goes first, and `shift` rewrites the params for the input with one more leading axis.
 */
export function leadingBatch<P>(self: () => Primitive<P>, shift: (params: P, size: number) => P): BatchRule<P> {
  return ([x], [axis], params, size) => [bind(self(), [batchFirst(x!, axis ?? null, size)], shift(params, size)), 0];
}

/**
 * The batching rule of a primitive whose leading axis is already a batch of independent items
 * (the planes of unfold/fold): the examples are folded into that axis, [size·N, …], and split
 * out again after.
 */
export function mergedIntoLeading<P>(self: () => Primitive<P>): BatchRule<P> {
  return ([x], [axis], params, size) => {
    const front = batchFirst(x!, axis ?? null, size);
    const [, n, ...rest] = front.shape as [number, number, ...number[]];
    const out = bind(self(), [front.reshape([size * n, ...rest])], params);
    return [out.reshape([size, n, ...out.shape.slice(1)]), 0];
  };
}
