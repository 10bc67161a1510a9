// Evenly spaced values: linspace and logspace (PyTorch's conventions; arange is in creation.ts).
import { allocate, type DType } from './dtype.js';
import { fromArray, type Tensor } from './core/tensor.js';
import { expectInteger, expectNumber, expectOptions } from './arguments.js';
import { creationOptions, finish } from './creation.js';

/** Options of {@link linspace}. */
export interface LinspaceOptions {
  /** Element type; default `'float32'`. */
  dtype?: DType;
  /** Make the tensor a leaf of the imperative graph (`backward()` fills its `.grad`). */
  requiresGrad?: boolean;
}

/** Options of {@link logspace}. */
export interface LogspaceOptions extends LinspaceOptions {
  /** The base of the powers; default 10. */
  base?: number;
}

/** The n values of linspace in float64. */
function spaced(op: string, start: number, stop: number, n: number): Float64Array {
  const a = expectNumber(op, 'start', start);
  const b = expectNumber(op, 'stop', stop);
  const count = expectInteger(op, 'n', n, 0, 2 ** 31 - 1);
  const out = new Float64Array(count);
  if (count === 1) out[0] = a;
  const step = (b - a) / (count - 1);
  // NOTE: the first half counts up from start and the second down from stop (as PyTorch), so that
  // both ends are exact and the values are symmetric about the middle.
  const half = Math.floor(count / 2);
  for (let i = 0; i < count && count > 1; i++) out[i] = i < half ? a + step * i : b - step * (count - 1 - i);
  // The ends are start and stop themselves (a + 0·step would turn a start of −0 into +0).
  if (count > 1) {
    out[0] = a;
    out[count - 1] = b;
  }
  return out;
}

function finished(op: string, values: Float64Array, opts: LinspaceOptions | undefined): Tensor {
  const { dtype, requiresGrad } = creationOptions(op, opts, 'float32', ['float32', 'float64', 'int32']);
  const data = allocate(dtype, values.length);
  data.set(values);
  return finish(fromArray(data, [values.length], dtype), requiresGrad);
}

/**
 * `n` evenly spaced values from `start` to `stop`, both included: start + i·(stop − start)/(n − 1).
 *
 * @example
 * linspace(0, 1, 5).toArray() // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, stop: number, n: number, opts?: LinspaceOptions): Tensor {
  const values = spaced('linspace', start, stop, n);
  return finished('linspace', values, opts);
}

/**
 * `n` powers base^t for t evenly spaced from `start` to `stop`, both included.
 *
 * @example
 * logspace(0, 2, 3).toArray() // [1, 10, 100]
 */
export function logspace(start: number, stop: number, n: number, opts?: LogspaceOptions): Tensor {
  const values = spaced('logspace', start, stop, n);
  const base = expectNumber('logspace', 'opts.base', expectOptions('logspace', opts).base ?? 10);
  for (let i = 0; i < values.length; i++) values[i] = base ** values[i]!;
  return finished('logspace', values, opts);
}
