// Model files on disk (Node only; the browser-safe codec is in model-file.ts). Writes are
// atomic: the bytes go to a temporary file in the same folder, which is fsynced and renamed
// over the target, and the folder is fsynced after the rename, so a crash (even SIGKILL)
// leaves either the old file or the new one, never half of one. Temporaries that a killed
// process left behind are removed by the next write of the same target.
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Tensor } from '@jacobi/tensor';
import { ModelFileError } from '../errors.js';
import type { Module } from '../module.js';
import { checkOptions, checkString } from '../validate.js';
import { decodeModelFor, encodeModelFor, type LoadOptions, type SaveOptions } from './model-file.js';
import { decodeTensors, encodeTensors, type SafetensorsContents } from './safetensors.js';

let counter = 0;
/** The temporaries this process is writing now (never removed as stale). */
const inFlight = new Set<string>();

/**
 * Writes `bytes` to `path` atomically (temporary file, fsync, rename, fsync of the folder),
 * creating folders. Failures are `ModelFileError`s naming the file.
 *
 * @example
 * await writeFileAtomic('out/weights.bin', bytes);
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const op = 'writeFileAtomic';
  checkPath(op, path);
  if (!(bytes instanceof Uint8Array)) throw new ModelFileError('bytes must be a Uint8Array', { op, file: path });
  await writeAtomic(op, path, bytes);
}

function checkPath(op: string, path: unknown): asserts path is string {
  checkString(op, 'path', path, { nonEmpty: true });
  if ((path as string).includes('\0')) throw new ModelFileError('path must not contain NUL characters', { op, file: JSON.stringify(path) });
}

async function writeAtomic(op: string, path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  const temporary = join(dir, `${prefix}${process.pid}.${counter++}.tmp`);
  const failure = (what: string, e: unknown) => new ModelFileError(`cannot ${what} (${errorCode(e)})`, { op, file: path });
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw failure('create its folder', e);
  }
  await removeStaleTemporaries(dir, prefix);
  inFlight.add(temporary);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (e) {
    await unlink(temporary).catch(() => {});
    throw failure('write the file', e);
  } finally {
    inFlight.delete(temporary);
  }
  await syncFolder(dir);
}

/**
 * Removes `.<name>.<pid>.<n>.tmp` files of this target whose writer is gone: a process that
 * no longer runs, or this process for a temporary it is not writing (a reused pid).
 */
async function removeStaleTemporaries(dir: string, prefix: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.\d+\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const full = join(dir, name);
    const pid = Number(m[1]);
    const stale = pid === process.pid ? !inFlight.has(full) : !isRunning(pid);
    if (stale) await unlink(full).catch(() => {});
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes the rename durable. NOTE: some platforms (Windows) cannot open a folder; the rename is then as durable as they allow. */
async function syncFolder(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Nothing more can be done where folders cannot be synced.
  } finally {
    await handle?.close().catch(() => {});
  }
}

function errorCode(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}

async function readBytes(op: string, path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new ModelFileError(`cannot read the file (${errorCode(e)})`, { op, file: path });
  }
}

/**
 * Saves the model's parameters (and `opts.optimizer`'s state) to a safetensors file,
 * atomically: after a crash the file is the old one or the new one. With `layout: 'torch'` the
 * file holds PyTorch's `state_dict` names and layouts, for `load_state_dict(safetensors.torch.load_file(path))`.
 *
 * @example
 * await saveModel('out/model.safetensors', model, { optimizer: opt });
 * await saveModel('out/model-torch.safetensors', model, { layout: 'torch' });
 */
export async function saveModel(path: string, model: Module, opts: SaveOptions = {}): Promise<void> {
  const op = 'saveModel';
  checkPath(op, path);
  await writeAtomic(op, path, encodeModelFor(op, model, opts));
}

/**
 * Loads a safetensors file into `model` (and `opts.optimizer`), validating everything first:
 * on any error the model keeps its weights. Returns the file's metadata. With `layout: 'torch'`
 * it reads PyTorch's `state_dict` names and layouts (a file written by `safetensors.torch.save_file`).
 *
 * @example
 * const metadata = await loadModel('out/model.safetensors', model, { optimizer: opt });
 * await loadModel('from-pytorch.safetensors', model, { layout: 'torch' });
 */
export async function loadModel(path: string, model: Module, opts: Omit<LoadOptions, 'file'> = {}): Promise<Record<string, string>> {
  const op = 'loadModel';
  checkPath(op, path);
  checkOptions(op, opts);
  return decodeModelFor(op, await readBytes(op, path), model, opts, path);
}

/**
 * Reads any safetensors file into tensors and metadata (validated like `loadModel`).
 *
 * @example
 * const { tensors, metadata } = await readSafetensors('model.safetensors');
 */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  const op = 'readSafetensors';
  checkPath(op, path);
  return decodeTensors(op, await readBytes(op, path), path);
}

/**
 * Writes tensors and metadata to a safetensors file atomically.
 *
 * @example
 * await writeSafetensors('weights.safetensors', new Map([['w', tensor([1, 2])]]));
 */
export async function writeSafetensors(
  path: string,
  tensors: Iterable<readonly [string, Tensor]>,
  metadata?: Record<string, string>,
): Promise<void> {
  const op = 'writeSafetensors';
  checkPath(op, path);
  await writeAtomic(op, path, encodeTensors(op, tensors, metadata));
}
