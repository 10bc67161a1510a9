// `--onnx <path>` of the example programs: the trained model as an ONNX file, with a dynamic
// batch axis, for ONNX Runtime (see docs/onnx.md for serving it).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Module } from '@jacobi/nn';
import { exportOnnx } from '@jacobi/onnx';
import type { Tensor } from '@jacobi/tensor';

/**
 * Writes `model` (run as `forward`, e.g. with the input scaling folded in) as an ONNX model with
 * its parameters named as in the state dict; `example` fixes every axis but the first.
 */
export async function writeOnnx(path: string, model: Module, forward: (x: Tensor) => Tensor, example: Tensor): Promise<string> {
  const bytes = exportOnnx(
    { forward, namedParameters: () => model.namedParameters(), namedBuffers: () => model.namedBuffers() },
    [example],
    { dynamicAxes: { input: { 0: 'batch' }, output: { 0: 'batch' } } },
  );
  const file = resolve(path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return file;
}
