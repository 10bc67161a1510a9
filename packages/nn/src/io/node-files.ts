// Model files on disk (Node only; the browser-safe codec is in model-file.ts). Writes are
// atomic: the bytes go to a temporary file in the same folder, which is then renamed over
// the target, so a crash leaves either the old file or the new one, never half of one.
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Module } from '../module.js';
import { ModelFileError } from '../errors.js';
import { decodeModel, encodeModel, type LoadOptions, type SaveOptions } from './model-file.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsContents } from './safetensors.js';
import type { Tensor } from '@jacobi/tensor';

let counter = 0;

/** Writes `bytes` to `path` atomically (temporary file, fsync, rename), creating folders. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temporary = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (e) {
    await unlink(temporary).catch(() => {});
    throw e;
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new ModelFileError(`cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: path });
  }
}

/**
 * Saves the model's parameters (and `opts.optimizer`'s state) to a safetensors file.
 *
 * @example
 * await saveModel('out/model.safetensors', model, { optimizer: opt });
 */
export async function saveModel(path: string, model: Module, opts: SaveOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeModel(model, opts));
}

/**
 * Loads a safetensors file into `model` (and `opts.optimizer`), validating everything first:
 * on any error the model keeps its weights. Returns the file's metadata.
 */
export async function loadModel(path: string, model: Module, opts: Omit<LoadOptions, 'file'> = {}): Promise<Record<string, string>> {
  return decodeModel(await readBytes(path), model, { ...opts, file: path });
}

/** Reads any safetensors file into tensors and metadata (validated like `loadModel`). */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  return decodeSafetensors(await readBytes(path), { file: path });
}

/** Writes tensors and metadata to a safetensors file atomically. */
export async function writeSafetensors(path: string, tensors: Iterable<readonly [string, Tensor]>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
