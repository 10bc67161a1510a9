// The columns of the table: jacobi on each requested backend, TensorFlow.js on its cpu and wasm
// backends. A framework that cannot start is reported as unavailable, with the error.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getBackend, setBackend } from '@jacobi/tensor';
import { registerTfjsGradients } from './tfjs-gradients.js';

export type TF = typeof tf;
export type TfTensor = tf.Tensor;
export type TfVariable = tf.Variable;

export interface Framework {
  /** Column label: `jacobi(js)`, `tfjs-cpu`, `tfjs-wasm`. */
  label: string;
  kind: 'jacobi' | 'tfjs';
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

export type PeerName = 'cpu' | 'wasm';

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

export { tf };
