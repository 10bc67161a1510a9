// `--onnx <path>` of the example programs: the trained model as an ONNX file, with a dynamic
// batch axis, for ONNX Runtime (see docs/onnx.md for serving it).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Module } from '@jacobi/nn';
import type { Tensor } from '@jacobi/tensor';
import { onnxBytes } from './onnx-bytes.js';

/** Writes {@link onnxBytes} of `model` to `path` (folders created); resolves to the absolute path. */
export async function writeOnnx(path: string, model: Module, forward: (x: Tensor) => Tensor, example: Tensor): Promise<string> {
  const file = resolve(path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, onnxBytes(model, forward, example));
  return file;
}
