// The slice of the WebAssembly JS API this backend uses, typed locally: the package compiles
// against lib ES2022 (no DOM), and a global declaration here would clash with consumers' DOM lib.

/** A linear memory: `buffer` is replaced (the old one detached) by every `grow`. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmNamespace {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => WasmInstance;
  validate(bytes: Uint8Array): boolean;
}

/** The host's `WebAssembly` object, or undefined where there is none. */
export function wasmApi(): WasmNamespace | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmNamespace }).WebAssembly;
}

/** Synchronously compiles and instantiates `bytes` (fine in Node and in workers at any size) with `imports`. */
export function instantiate(bytes: Uint8Array, imports: object = {}): Record<string, unknown> {
  const api = wasmApi();
  if (!api) throw new Error('wasm backend: this JavaScript host has no WebAssembly');
  return new api.Instance(new api.Module(bytes), imports).exports;
}
