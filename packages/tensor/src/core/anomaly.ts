// Anomaly mode: every forward value and backward cotangent is checked for NaN/Infinity, and
// each recorded operation remembers the user's call site that created it.
import type { TypedArray } from '../dtype.js';
import { expectBoolean, expectFunction } from '../arguments.js';

let depth = 0;
let globalSwitch = false;

export function anomalyEnabled(): boolean {
  return globalSwitch || depth > 0;
}

/** Turns anomaly mode on (`true`) or off (`false`) for everything that follows. */
export function setDetectAnomaly(enabled: boolean): void {
  globalSwitch = expectBoolean('setDetectAnomaly', 'enabled', enabled);
}

/**
 * Runs `fn` in anomaly mode: any operation whose output, or whose cotangent during a
 * backward pass, contains NaN or ±Infinity throws an `AnomalyError` naming the operation,
 * the input shapes and the line of your code that created it.
 *
 * @example
 * detectAnomaly(() => tensor([-1]).log()); // throws: log produced NaN ... at yourFile.ts:12
 */
export function detectAnomaly<T>(fn: () => T): T {
  expectFunction('detectAnomaly', 'fn', fn);
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

export function firstNonFinite(data: TypedArray): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

// Frames inside this package are not the user's call site. Both the sources (src/) and the
// build (dist/) sit one folder above this file's folder.
const packageRoot = (() => {
  try {
    return new URL('../../', import.meta.url).href.replace(/^file:\/\//, '');
  } catch {
    return '';
  }
})();

/** The first stack frame outside jacobi's own files, or the whole stack if none is found. */
export function userCallSite(): string {
  const stack = new Error().stack ?? '';
  const frames = stack
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  const outside = frames.find((f) => packageRoot === '' || !f.includes(packageRoot));
  return outside ?? frames.join('\n');
}
