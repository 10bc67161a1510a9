// Which backend runs the kernels. Only primitive implementations call `activeBackend()`.
import { ArgumentError } from '../errors.js';
import { expectBackend, type Backend } from './backend.js';
import { jsBackend } from './js.js';
import { createWasmBackend } from './wasm/index.js';

const backends = new Map<string, Backend>([['js', jsBackend]]);
// Built on first use: compiling the WebAssembly module costs a few milliseconds.
const factories = new Map<string, () => Backend>([['wasm', () => createWasmBackend()]]);
// null until the first kernel runs (or setBackend/getBackend is called): importing the
// package does no work, so a bundle or a program that never computes pays nothing for it.
let active: Backend | null = null;
let activeName = 'js';

/**
 * The default: WebAssembly SIMD where the engine has it (and allows compiling the module
 * synchronously, which a browser's main thread may refuse); the TypeScript kernels otherwise.
 */
function chooseDefault(): Backend {
  try {
    const wasm = factories.get('wasm')!();
    backends.set('wasm', wasm);
    activeName = 'wasm';
    return wasm;
  } catch {
    // WebAssembly or its SIMD extension is unavailable: stay on the portable kernels.
    activeName = 'js';
    return jsBackend;
  }
}

/** The backend that runs kernels now. */
export function activeBackend(): Backend {
  if (active === null) active = chooseDefault();
  return active;
}

/** Makes a backend available to `setBackend` by its name (it must have every kernel). */
export function registerBackend(backend: Backend): void {
  const b = expectBackend('registerBackend', backend);
  backends.set(b.name, b);
}

/**
 * Switches the kernels every later operation runs on, by name (`'js'`, the portable
 * TypeScript kernels; `'wasm'`, WebAssembly SIMD) or by object (which must have a name and
 * every kernel of {@link Backend}). Anything else throws, and the active backend stays.
 * Results agree across backends to rounding; autodiff does not depend on the choice.
 */
export function setBackend(backend: string | Backend): void {
  if (typeof backend !== 'string') {
    const b = expectBackend('setBackend', backend);
    backends.set(b.name, b);
    active = b;
    activeName = b.name;
    return;
  }
  let found = backends.get(backend);
  const factory = factories.get(backend);
  if (!found && factory) {
    try {
      found = factory();
    } catch (e) {
      throw new ArgumentError(`setBackend: the '${backend}' backend is not available here (${e instanceof Error ? e.message : String(e)})`);
    }
    backends.set(backend, found);
  }
  if (!found) {
    const names = [...new Set([...backends.keys(), ...factories.keys()])].join(', ');
    throw new ArgumentError(`setBackend: unknown backend '${backend}' (available: ${names})`);
  }
  active = found;
  activeName = backend;
}

/** The name of the active backend. */
export function getBackend(): string {
  activeBackend();
  return activeName;
}

/**
 * Bytes the active backend holds outside JavaScript's typed arrays: the WebAssembly backend's
 * linear memories (they grow to the largest call's scratch and never shrink), 0 for the JS
 * backend. With `process.memoryUsage()` it tells whether a long loop's memory stays flat.
 *
 * @example
 * const before = backendMemoryBytes();
 * for (let i = 0; i < 1000; i++) step();
 * console.log(backendMemoryBytes() - before); // 0 once the first step has sized the scratch
 */
export function backendMemoryBytes(): number {
  return activeBackend().memoryBytes?.() ?? 0;
}

/**
 * Runs `f` with `standIn` as the active backend (jit's lowering records the kernel calls a
 * replay makes through one that forwards to the real backend), then restores the backend.
 */
export function withStandIn<T>(standIn: Backend, f: () => T): T {
  const previous = active;
  active = standIn;
  try {
    return f();
  } finally {
    active = previous;
  }
}
