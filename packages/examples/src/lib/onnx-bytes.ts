// The trained model as ONNX bytes, with a dynamic batch axis; browser-safe (the playground's
// download uses it), while onnx-file.ts writes the bytes to disk for the example programs.
import type { Module } from '@jacobi/nn';
import { exportOnnx } from '@jacobi/onnx';
import type { Tensor } from '@jacobi/tensor';

/**
 * `model` run as `forward` (e.g. with the input scaling folded in) as an ONNX model with its
 * parameters named as in the state dict; `example` fixes every axis but the first.
 */
export function onnxBytes(model: Module, forward: (x: Tensor) => Tensor, example: Tensor): Uint8Array {
  return exportOnnx({ forward, namedParameters: () => model.namedParameters(), namedBuffers: () => model.namedBuffers() }, [example], {
    dynamicAxes: { input: { 0: 'batch' }, output: { 0: 'batch' } },
  });
}
