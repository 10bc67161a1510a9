// The hostile inputs of the robustness suite: values a careless or malicious caller may pass
// where a tensor, a shape, an axis, a number, an option object or a function is expected, and
// the checks every call must pass with them (a normal return or a typed error naming the
// function, with no state changed anywhere).
import { JacobiError, getBackend } from '@jacobi/tensor';
import { fc } from '../../support/properties.js';

/** One hostile value, built fresh per use (some are mutable arrays or objects). */
export interface BadValue {
  readonly label: string;
  readonly make: () => unknown;
}

function selfReferential(): unknown[] {
  const a: unknown[] = [1];
  a[0] = a;
  return a;
}

function deepSelfReferential(): unknown[] {
  const inner: unknown[] = [1, 2];
  const outer: unknown[] = [inner, [3, 4]];
  inner[1] = outer;
  return outer;
}

// NOTE: `new Array(n)` of a huge length holds no elements (it is all holes), so it costs
// nothing to build; a function that walks it before checking would hang or exhaust memory.
const hugeSparse = (): unknown[] => new Array(2 ** 32 - 1);

/** Every hostile value, labelled for failure messages. */
export const BAD_VALUES: readonly BadValue[] = [
  { label: 'undefined', make: () => undefined },
  { label: 'null', make: () => null },
  { label: 'NaN', make: () => Number.NaN },
  { label: 'Infinity', make: () => Number.POSITIVE_INFINITY },
  { label: '-Infinity', make: () => Number.NEGATIVE_INFINITY },
  { label: '-0', make: () => -0 },
  { label: '1e308', make: () => 1e308 },
  { label: '2**53', make: () => 2 ** 53 },
  { label: '1.5', make: () => 1.5 },
  { label: '-1', make: () => -1 },
  { label: '-7', make: () => -7 },
  { label: '2**32', make: () => 2 ** 32 },
  { label: 'true', make: () => true },
  { label: '1n', make: () => 1n },
  { label: 'Symbol()', make: () => Symbol('bad') },
  { label: "''", make: () => '' },
  { label: "'x'", make: () => 'x' },
  { label: "'0x1:'", make: () => '0x1:' },
  { label: "'__proto__'", make: () => '__proto__' },
  { label: "'constructor'", make: () => 'constructor' },
  { label: "'toString'", make: () => 'toString' },
  { label: "'hasOwnProperty'", make: () => 'hasOwnProperty' },
  { label: '{}', make: () => ({}) },
  { label: 'Object.create(null)', make: () => Object.create(null) as unknown },
  { label: '{"__proto__":{"polluted":1}}', make: () => JSON.parse('{"__proto__":{"polluted":1}}') as unknown },
  { label: '{ constructor: 1, toString: 1 }', make: () => ({ constructor: 1, toString: 1 }) },
  { label: '() => 1', make: () => () => 1 },
  {
    label: '() => { throw }',
    make: () => () => {
      throw new Error('thrown by a user callback');
    },
  },
  { label: '[]', make: () => [] },
  { label: '[[]]', make: () => [[]] },
  // biome-ignore lint/suspicious/noSparseArray: a sparse array is the hostile value under test
  { label: '[1, , 3] (sparse)', make: () => [1, , 3] },
  { label: 'self-referential array', make: selfReferential },
  { label: 'deep self-referential array', make: deepSelfReferential },
  { label: 'new Array(2**32-1)', make: hugeSparse },
  { label: "['a', 'b']", make: () => ['a', 'b'] },
  { label: '[NaN]', make: () => [Number.NaN] },
  { label: '[1.5, -2]', make: () => [1.5, -2] },
  { label: '[1e6, 1e6]', make: () => [1e6, 1e6] },
  { label: '[2**31, 2**31]', make: () => [2 ** 31, 2 ** 31] },
  { label: 'new Float32Array(0)', make: () => new Float32Array(0) },
  { label: 'new Int8Array(3)', make: () => new Int8Array(3) },
  { label: 'new Date(0)', make: () => new Date(0) },
  { label: 'new Map()', make: () => new Map() },
  { label: 'Promise.resolve(1)', make: () => Promise.resolve(1) },
];

/** An arbitrary over `BAD_VALUES`. */
export const badValue: fc.Arbitrary<BadValue> = fc.constantFrom(...BAD_VALUES);

/** A short printable form of any value (for failure messages; never throws). */
export function describe(value: unknown): string {
  try {
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
    if (Array.isArray(value)) return `array(length ${value.length})`;
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

const PROTOTYPES: readonly object[] = [Object.prototype, Array.prototype, Function.prototype];

/** The own property names and symbols of the shared prototypes, to detect pollution. */
export function snapshotPrototypes(): string[][] {
  return PROTOTYPES.map((p) =>
    Reflect.ownKeys(p)
      .map((k) => String(k))
      .sort(),
  );
}

/**
 * The global state that no call may change: the prototypes' keys and the active backend.
 * Compare a snapshot taken before a call with one taken after.
 */
export function snapshotGlobals(): { prototypes: string[][]; backend: string } {
  return { prototypes: snapshotPrototypes(), backend: getBackend() };
}

/**
 * Runs `call` and checks the contract of every public function: it returns normally or throws
 * a `JacobiError` whose message starts with `name`. Returns a description of the violation,
 * or null when the call kept the contract. Promises are not awaited here (see the async
 * variant below).
 */
export function contractViolation(name: string, call: () => unknown): string | null {
  try {
    call();
    return null;
  } catch (e) {
    return errorViolation(name, e);
  }
}

/** The same contract for a function that returns a promise. */
export async function asyncContractViolation(name: string, call: () => unknown): Promise<string | null> {
  try {
    await call();
    return null;
  } catch (e) {
    return errorViolation(name, e);
  }
}

function errorViolation(name: string, e: unknown): string | null {
  if (!(e instanceof JacobiError)) {
    const kind = e instanceof Error ? `${e.constructor.name}: ${e.message}` : describe(e);
    return `threw an untyped error (${kind})`;
  }
  if (!e.message.startsWith(name)) return `threw ${e.name} whose message does not start with '${name}': ${e.message}`;
  return null;
}
