// One place for every error jacobi throws: a typed hierarchy under JacobiError, and the
// helpers that format shapes and dtypes the same way in every message.

/** Base class of every error thrown by jacobi. */
export class JacobiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** Shapes that do not fit the operation (broadcasting, matmul, reshape, ...). */
export class ShapeError extends JacobiError {}
/** An axis out of range, repeated, or not an integer. */
export class AxisError extends JacobiError {}
/** A dtype that the operation does not accept. */
export class DTypeError extends JacobiError {}
/** Any other invalid argument: ragged data, non-numbers, bad options. */
export class ArgumentError extends JacobiError {}
/** Pytrees that should have one structure differ (treeMap, jvp's primals and tangents, ...). */
export class TreeStructureError extends ArgumentError {}
/** `grad`/`backward` asked for a gradient of a tensor with more than one element. */
export class NonScalarOutputError extends JacobiError {}
/** A derivative requested where none exists (a released graph, a non-differentiable input). */
export class NotDifferentiableError extends JacobiError {}
/** A misuse of a transform: a tracer used outside its transform, a bad function result. */
export class TraceError extends JacobiError {}
/** Anomaly mode found NaN or Infinity in a forward value or a backward cotangent. */
export class AnomalyError extends JacobiError {}

/**
 * Formats a shape the way every message prints it: `[2,3]`. A caller's unchecked array may hold
 * anything, so entries that are not numbers print as their type, and a long one is cut short.
 */
export function formatShape(shape: readonly unknown[]): string {
  const shown = shape.slice(0, 64).map((d) => (typeof d === 'number' ? String(d) : typeof d));
  return `[${shown.join(',')}${shape.length > 64 ? `, … (${shape.length} entries)` : ''}]`;
}
