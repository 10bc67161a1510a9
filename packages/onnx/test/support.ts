// Running an exported model in ONNX Runtime (the CPU build onnxruntime-node ships) and comparing
// its outputs with jacobi's.
import type { Tensor } from '@jacobi/tensor';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';

const ORT_TYPES = { float32: 'float32', float64: 'float64', int32: 'int32', bool: 'bool' } as const;

/** ORT's outputs for `feeds` (jacobi tensors by input name). */
export async function runOnnx(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  const inputs: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const data = t.dtype === 'bool' ? Uint8Array.from(t.data(), Number) : t.data();
    inputs[name] = new ort.Tensor(ORT_TYPES[t.dtype], data as Float32Array, [...t.shape]);
  }
  return session.run(inputs);
}

/** Largest |ort − jacobi| relative to the largest |jacobi|: the ≤ 1e-5 float32 criterion. */
export function relativeError(actual: ort.Tensor, expected: Tensor): number {
  const a = actual.data as Float32Array;
  const e = expected.data();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < e.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - Number(e[i])));
    scale = Math.max(scale, Math.abs(Number(e[i])));
  }
  return diff / scale;
}

/** ORT's output has jacobi's shape and values within `tolerance` (relative, see relativeError). */
export function expectMatches(actual: ort.Tensor | undefined, expected: Tensor, tolerance = 1e-5): void {
  expect(actual).toBeDefined();
  expect([...actual!.dims]).toEqual(expected.shape);
  expect(actual!.data.length).toBe(expected.size);
  expect(relativeError(actual!, expected)).toBeLessThanOrEqual(tolerance);
}
