// Argument checks shared by every public function of @jacobi/nn. Each throws a typed error
// whose message starts with `op`, the function the user called, then names the argument, what
// was given and what was expected. Nothing here reads inherited properties of user objects, so
// a polluted Object.prototype cannot supply an option.
import { ArgumentError, DTypeError, JacobiError, ShapeError, Tensor, type DType, type Rng } from '@jacobi/tensor';

/**
 * The most elements a tensor built by @jacobi/nn may have (2³¹ − 1, the largest typed-array
 * length every engine supports). Sizes are checked against it before anything is allocated.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** A short printable form of any value, for messages; never throws (symbols, cycles, proxies). */
export function describeValue(value: unknown): string {
  try {
    if (value === null || value === undefined) return String(value);
    if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'function') return `a function${value.name ? ` ${value.name}` : ''}`;
    if (value instanceof Tensor) return `a ${value.dtype} Tensor of shape [${value.shape}]`;
    if (Array.isArray(value)) {
      const small = value.length <= 8 && Object.keys(value).length === value.length && value.every((v) => typeof v === 'number');
      return small ? `[${value.map((v: number) => describeValue(v)).join(', ')}]` : `an array of length ${value.length}`;
    }
    if (Object.getPrototypeOf(value) === null) return 'a null-prototype object';
    const name = String((value as object).constructor?.name || 'object');
    return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
  } catch {
    return 'an unprintable value';
  }
}

/** Throws unless `value` is a Tensor. */
export function checkTensor(op: string, name: string, value: unknown, minRank = 0): Tensor {
  if (!(value instanceof Tensor)) throw new ArgumentError(`${op}: ${name} must be a Tensor, got ${describeValue(value)}`);
  if (value.ndim < minRank) throw new ShapeError(`${op}: ${name} must have rank ≥ ${minRank}, got shape [${value.shape}]`);
  return value;
}

/** Throws unless `value` is a finite number ≥ `min` (and < `below`, if given). */
export function checkNumber(op: string, name: string, value: unknown, min = -Infinity, below?: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (below !== undefined && value >= below)) {
    throw new ArgumentError(`${op}: ${name} must be a finite number${numberRange(min, below)}, got ${describeValue(value)}`);
  }
  return value;
}

function numberRange(min: number, below: number | undefined): string {
  if (below !== undefined) return ` in [${min}, ${below})`;
  return min === -Infinity ? '' : ` ≥ ${min}`;
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(op: string, name: string, value: unknown, min: number, max = MAX_ELEMENTS): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ArgumentError(`${op}: ${name} must be an integer in [${min}, ${max}], got ${describeValue(value)}`);
  }
  return value;
}

/** Throws unless `value` is a boolean. */
export function checkBoolean(op: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ArgumentError(`${op}: ${name} must be a boolean, got ${describeValue(value)}`);
  return value;
}

/** Throws unless `value` is a function. */
export function checkFunction<F>(op: string, name: string, value: unknown): F {
  if (typeof value !== 'function') throw new ArgumentError(`${op}: ${name} must be a function, got ${describeValue(value)}`);
  return value as F;
}

/** Throws unless `value` is one of `allowed`. */
export function checkChoice<T extends string>(op: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ArgumentError(`${op}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeValue(value)}`);
  }
  return value as T;
}

/** Throws unless `value` is 'float32' or 'float64'. */
export function checkDType(op: string, name: string, value: unknown): DType {
  if (value !== 'float32' && value !== 'float64')
    throw new DTypeError(`${op}: ${name} must be 'float32' or 'float64', got ${describeValue(value)}`);
  return value;
}

/** Throws unless `value` looks like a generator from `rng(seed)` (it has uniform, normal and int). */
export function checkRng(op: string, name: string, value: unknown): Rng {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    (['uniform', 'normal', 'int'] as const).every((k) => typeof (value as Record<string, unknown>)[k] === 'function');
  if (!ok) throw new ArgumentError(`${op}: ${name} must be a generator from rng(seed), got ${describeValue(value)}`);
  return value as Rng;
}

/** Throws unless `value` is an array of non-negative integers whose product is at most MAX_ELEMENTS. */
export function checkShape(op: string, name: string, value: unknown): number[] {
  if (!Array.isArray(value) || value.length > 32)
    throw new ShapeError(`${op}: ${name} must be an array of at most 32 sizes, got ${describeValue(value)}`);
  let size = 1;
  for (let i = 0; i < value.length; i++) {
    const d: unknown = value[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw new ShapeError(`${op}: ${name}[${i}] must be a non-negative integer, got ${describeValue(d)}`);
    size *= d;
  }
  if (size > MAX_ELEMENTS)
    throw new ShapeError(`${op}: ${name} [${value.join(',')}] has ${size} elements, more than the ${MAX_ELEMENTS} a tensor may hold`);
  return [...(value as number[])];
}

/** Throws unless `value` is a string that survives UTF-8 (no lone surrogate). */
export function checkString(op: string, name: string, value: unknown, { nonEmpty = false } = {}): string {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0) || LONE_SURROGATE.test(value)) {
    const what = nonEmpty ? 'a non-empty string' : 'a string';
    throw new ArgumentError(`${op}: ${name} must be ${what} of well-formed UTF-16, got ${describeValue(value)}`);
  }
  return value;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The own enumerable properties of an options argument, as a null-prototype record: `undefined`
 * is no options; anything but a plain object (or a null-prototype one) is an error.
 */
export function checkOptions(op: string, value: unknown, name = 'options'): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (value === undefined) return out;
  const proto: unknown = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined;
  if (proto !== Object.prototype && proto !== null)
    throw new ArgumentError(`${op}: ${name} must be an object (or undefined), got ${describeValue(value)}`);
  for (const key of Object.keys(value as object)) out[key] = (value as Record<string, unknown>)[key];
  return out;
}

/**
 * Runs `fn`; a JacobiError from a function it calls gets `op: ` put in front of its message, so
 * the message names the function the user called (`trainStep: Dense.forward: ...`). The
 * error keeps its class and identity; errors that are not JacobiErrors (a user callback's own)
 * pass through untouched.
 */
export function inContext<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw withPrefix(op, e);
  }
}

function withPrefix(op: string, e: unknown): unknown {
  if (e instanceof JacobiError && !e.message.startsWith(`${op}:`)) {
    const old = e.message;
    e.message = `${op}: ${old}`;
    if (typeof e.stack === 'string') e.stack = e.stack.replace(old, e.message);
  }
  return e;
}
