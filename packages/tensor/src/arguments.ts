// The checks every public function runs on its plain JavaScript arguments (functions,
// booleans, numbers, option objects) before it does any work, and the one way a message
// shows a value the caller gave: `describe`, which never throws, whatever the value.
import { ArgumentError } from './errors.js';

/** A short description of any value for an error message (never throws, never runs user code). */
export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  switch (typeof x) {
    case 'symbol':
      return 'a symbol';
    case 'bigint':
      return `bigint ${x.toString()}n`;
    case 'function':
      return 'a function';
    case 'string':
      return `string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)}`;
    case 'object': {
      // NOTE: read the prototype, not `x.constructor`: a caller's object may define its own.
      const proto: unknown = Object.getPrototypeOf(x);
      if (proto === null) return 'an object with a null prototype';
      const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
      const name = typeof ctor === 'function' ? ctor.name : '';
      return name === '' || name === 'Object' ? 'an object' : `a ${name}`;
    }
    default:
      // undefined, a number or a boolean: its own text says what it is.
      return String(x);
  }
}

/** Checks that `f` is a function. */
export function expectFunction<F>(op: string, name: string, f: F | undefined): F {
  if (typeof f === 'function') return f as F;
  throw new ArgumentError(`${op}: expected a function for ${name}, got ${describe(f)}`);
}

/** Checks that `flag` is a boolean (`undefined` gives `fallback` where there is one). */
export function expectBoolean(op: string, name: string, flag: unknown, fallback?: boolean): boolean {
  if (flag === undefined && fallback !== undefined) return fallback;
  if (typeof flag === 'boolean') return flag;
  throw new ArgumentError(`${op}: expected true or false for ${name}, got ${describe(flag)}`);
}

/**
 * Checks that `opts` is an options object or undefined (an empty object then), so that
 * reading its fields cannot throw: arrays, functions, null and primitives are refused.
 */
export function expectOptions<T extends object>(op: string, opts: T | undefined): Partial<T> {
  if (opts === undefined) return {};
  if (typeof opts === 'object' && opts !== null && !Array.isArray(opts)) return opts;
  throw new ArgumentError(`${op}: expected an options object, got ${describe(opts)}`);
}

/** Checks that `v` is a finite number, within `[min, max]` when given. */
export function expectNumber(op: string, name: string, v: unknown, range: { min?: number; max?: number; positive?: boolean } = {}): number {
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (range.min === undefined || v >= range.min) &&
    (range.max === undefined || v <= range.max) &&
    (!range.positive || v > 0);
  if (ok) return v;
  const bounds = range.positive
    ? 'a positive finite number'
    : range.min !== undefined
      ? `a finite number ≥ ${range.min}`
      : 'a finite number';
  throw new ArgumentError(`${op}: expected ${bounds} for ${name}, got ${describe(v)}`);
}

/** Checks that `v` is an integer in `[min, max]`. */
export function expectInteger(op: string, name: string, v: unknown, min: number, max: number): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  throw new ArgumentError(`${op}: expected an integer in [${min}, ${max}] for ${name}, got ${describe(v)}`);
}
