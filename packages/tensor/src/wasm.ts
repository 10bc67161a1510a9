// @jacobi/tensor/wasm: the WebAssembly SIMD backend with its options (threads, relaxed SIMD),
// for programs that want more than the default `setBackend('wasm')` gives.
export {
  createWasmBackend,
  supportsRelaxedSimd,
  DEFAULT_THREAD_THRESHOLD,
  FUSED_THREAD_DEFAULTS,
  MAX_DEFAULT_THREADS,
} from './backend/wasm/index.js';
export type { WasmBackend, WasmBackendOptions } from './backend/wasm/index.js';
