// The columns of the table: jacobi on each requested backend, TensorFlow.js on its cpu and wasm
// backends. A framework that cannot start is reported as unavailable, with the error.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getBackend, setBackend } from '@jacobi/tensor';
import { registerTfjsGradients } from './tfjs-gradients.js';
import type * as JaxJsModule from '@jax-js/jax';

export type TF = typeof tf;
export type TfTensor = tf.Tensor;
export type TfVariable = tf.Variable;

export interface Framework {
  /** Column label: `jacobi(js)`, `tfjs-cpu`, `tfjs-wasm`. */
  label: string;
  kind: 'jacobi' | 'tfjs' | 'jaxjs';
  /** jax-js only: whether each op or training step runs eagerly or through `jax.jit`. */
  jaxMode?: JaxMode;
  /** Set when the framework could not start; its cells then show this. */
  unavailable?: string;
  /** Makes this framework's backend the active one. */
  activate(): Promise<void>;
}

export interface TfjsInfo {
  version: string;
  prodMode: boolean;
  wasm: { available: boolean; error?: string; simd?: boolean; threads?: boolean; threadsCount?: number; wasmDir?: string };
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * One framework per jacobi backend name that `setBackend` accepts; the others come back as notes.
 * The previously active backend is restored.
 */
export function jacobiFrameworks(names: readonly string[]): { frameworks: Framework[]; notes: string[] } {
  const previous = getBackend();
  const frameworks: Framework[] = [];
  const notes: string[] = [];
  for (const name of names) {
    try {
      setBackend(name);
      frameworks.push({ label: `jacobi(${name})`, kind: 'jacobi', activate: async () => setBackend(name) });
    } catch (e) {
      notes.push(`jacobi backend '${name}' skipped: ${errorText(e)}`);
    }
  }
  setBackend(previous);
  return { frameworks, notes };
}

export type PeerName = 'cpu' | 'wasm' | 'jaxjs';

/** tfjs-core with the requested backends; the wasm binaries come from the npm package's dist folder. */
export async function tfjsFrameworks(peers: readonly PeerName[]): Promise<{ frameworks: Framework[]; info: TfjsInfo }> {
  tf.enableProdMode();
  await registerTfjsGradients();
  const info: TfjsInfo = { version: tf.version_core, prodMode: true, wasm: { available: false } };
  const frameworks: Framework[] = [];
  if (peers.includes('cpu')) {
    frameworks.push({ label: 'tfjs-cpu', kind: 'tfjs', activate: async () => void (await tf.setBackend('cpu')) });
  }
  if (peers.includes('wasm')) {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
      wasm.setWasmPaths(wasmDir + path.sep);
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false (see the message above)');
      await tf.ready();
      info.wasm = {
        available: true,
        simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
        threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
        threadsCount: wasm.getThreadsCount(),
        wasmDir,
      };
    } catch (e) {
      info.wasm = { available: false, error: errorText(e) };
    }
    const wasmError = info.wasm.error;
    frameworks.push({
      label: 'tfjs-wasm',
      kind: 'tfjs',
      ...(wasmError === undefined ? {} : { unavailable: `unavailable: ${wasmError}` }),
      activate: async () => void (await tf.setBackend('wasm')),
    });
  }
  if (peers.includes('cpu')) await tf.setBackend('cpu');
  return { frameworks, info };
}

// ---- jax-js (@jax-js/jax): loaded only when asked for, so that a missing or failing package
// costs the other columns nothing; its columns then show the reason.

export type JaxJs = typeof JaxJsModule;
export type JaxArray = JaxJsModule.Array;
/** `eager`: each op dispatched as it is called; `jit`: the op or the whole training step through `jax.jit`. */
export type JaxMode = 'eager' | 'jit';

export interface JaxJsInfo {
  available: boolean;
  version?: string;
  /** The device jax-js runs on (`wasm`: its WebAssembly backend). */
  device?: string;
  /** How the wasm device runs its kernels here. */
  threads?: string;
  error?: string;
}

/** Two columns, `jax-js` (eager) and `jax-js(jit)`, on jax-js's wasm device, checked with one small op. */
export async function jaxjsFrameworks(): Promise<{ frameworks: Framework[]; info: JaxJsInfo; jax: JaxJs | null }> {
  let jax: JaxJs | null = null;
  let info: JaxJsInfo;
  try {
    const require = createRequire(import.meta.url);
    const pkg = require(path.join(path.dirname(require.resolve('@jax-js/jax')), '..', 'package.json')) as { version: string };
    const mod: JaxJs = await import('@jax-js/jax');
    // Only the wasm device: init() without arguments also probes WebGPU through `navigator.gpu`,
    // which Node 20 does not define (a ReferenceError).
    const devices = await mod.init('wasm');
    if (!devices.includes('wasm')) throw new Error(`jax.init('wasm') started only ${devices.join(', ')}`);
    mod.defaultDevice('wasm');
    const probe = mod.numpy
      .array(new Float32Array([1, 2]))
      .add(1)
      .dataSync();
    if (probe[0] !== 2 || probe[1] !== 3) throw new Error(`a smoke test gave [${Array.from(probe).join(', ')}], not [2, 3]`);
    // jax-js starts a worker pool only when both exist (its hasSharedArrayBuffer check);
    // Node 20 has SharedArrayBuffer but no global Worker.
    const pooled = typeof SharedArrayBuffer !== 'undefined' && typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined';
    info = {
      available: true,
      version: pkg.version,
      device: mod.defaultDevice(),
      threads: pooled ? 'worker pool' : 'single-threaded (no global Worker in this runtime)',
    };
    jax = mod;
  } catch (e) {
    info = { available: false, error: errorText(e) };
  }
  const unavailable = info.error === undefined ? {} : { unavailable: `unavailable: ${info.error}` };
  const frameworks: Framework[] = (['eager', 'jit'] as const).map((mode) => ({
    label: mode === 'eager' ? 'jax-js' : 'jax-js(jit)',
    kind: 'jaxjs',
    jaxMode: mode,
    ...unavailable,
    activate: async () => {
      jax?.defaultDevice('wasm');
    },
  }));
  return { frameworks, info, jax };
}

export { tf };
