// Which backend runs the kernels. Only primitive implementations call `activeBackend()`.
import { ArgumentError } from '../errors.js';
import type { Backend } from './backend.js';
import { jsBackend } from './js.js';

const backends = new Map<string, Backend>([['js', jsBackend]]);
let active: Backend = jsBackend;

/** The backend that runs kernels now. */
export function activeBackend(): Backend {
  return active;
}

/** Makes a backend available to `setBackend` by its name. */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

/**
 * Switches the kernels every later operation runs on, by name (`'js'`) or by object.
 * Results agree across backends to rounding; autodiff does not depend on the choice.
 */
export function setBackend(backend: string | Backend): void {
  if (typeof backend !== 'string') {
    registerBackend(backend);
    active = backend;
    return;
  }
  const found = backends.get(backend);
  if (!found) throw new ArgumentError(`setBackend: unknown backend '${backend}' (available: ${[...backends.keys()].join(', ')})`);
  active = found;
}

/** The name of the active backend. */
export function getBackend(): string {
  return active.name;
}
