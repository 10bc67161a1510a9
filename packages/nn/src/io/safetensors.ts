// The safetensors format, byte level: u64 little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {str: str}}, then the raw
// little-endian data. Pure functions on Uint8Array: no Node APIs, so it runs in browsers.
import { ArgumentError, Tensor, tensor, type TypedArray } from '@jacobi/tensor';
import { ModelFileError } from '../errors.js';
import { LONE_SURROGATE, checkOptions, checkString, describeValue } from '../validate.js';

// NOTE: declared here rather than through a lib so the package needs neither DOM nor Node types;
// every browser and Node ≥ 11 has both as globals.
declare const TextEncoder: { new (): { encode(text: string): Uint8Array } };
declare const TextDecoder: { new (label: string, opts: { fatal: boolean }): { decode(bytes: Uint8Array): string } };

/**
 * The element types jacobi reads (F16 and BF16 are widened to float32) and writes (F32, F64,
 * I32, BOOL).
 */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I32' | 'BOOL';

/** What the decoder reads: the public types, and I64 where the caller asks for it (PyTorch's layout). */
type FileDType = SafetensorsDType | 'I64';
const ITEM_SIZE: Record<FileDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I32: 4, BOOL: 1, I64: 8 };
/** The file's name of each dtype. */
const FILE_DTYPE = { float64: 'F64', float32: 'F32', int32: 'I32', bool: 'BOOL' } as const;
/** Types of the format that jacobi has no tensor for (named apart from typos in errors). */
const UNSUPPORTED = new Set(['U8', 'I8', 'U16', 'I16', 'U32', 'U64', 'I64', 'F8_E4M3', 'F8_E5M2', 'C64']);
/** The reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

/** A decoded file: tensors in header order, and the string metadata. */
export interface SafetensorsContents {
  /** Every tensor by name, in the header's order; F16 and BF16 are widened to float32. */
  tensors: Map<string, Tensor>;
  /** The header's `__metadata__` strings, in a null-prototype object (empty when there are none). */
  metadata: Record<string, string>;
}

/**
 * Encodes tensors (float32 as F32, float64 as F64, int32 as I32, bool as BOOL) and string metadata as safetensors bytes,
 * in the order given. The header is padded with spaces so the data starts 8-byte aligned, as
 * the reference writer does. Any name is stored as written (`__proto__` and `"0"` included).
 *
 * @example
 * const bytes = encodeSafetensors(new Map([['w', tensor([1, 2])]]), { format: 'jacobi' });
 */
export function encodeSafetensors(tensors: Iterable<readonly [string, Tensor]>, metadata: Record<string, string> = {}): Uint8Array {
  return encodeTensors('encodeSafetensors', tensors, metadata);
}

/**
 * `encodeSafetensors` for the functions built on it: `op` names the function the user called.
 * The int32 tensors named in `int64` are written as I64 (PyTorch's integer type).
 */
export function encodeTensors(
  op: string,
  tensors: Iterable<readonly [string, Tensor]>,
  metadata: unknown,
  int64: ReadonlySet<string> = new Set(),
): Uint8Array {
  const fail = (msg: string, tensor?: string) => new ModelFileError(msg, { op, tensor });
  const meta = checkOptions(op, metadata, 'metadata');
  for (const [k, v] of Object.entries(meta)) {
    checkString(op, 'a metadata key', k);
    checkString(op, `metadata value '${k}'`, v);
  }
  // NOTE: the header is written by hand from [key, value] pairs, never through a plain object:
  // `header['__proto__'] = ...` would set a prototype, and integer-like keys would be reordered.
  const fields: string[] = [];
  if (Object.keys(meta).length > 0) fields.push(`${JSON.stringify(METADATA_KEY)}:${jsonObject(Object.entries(meta))}`);
  const chunks: { data: TypedArray; begin: number; wide: boolean }[] = [];
  const names = new Set<string>();
  let offset = 0;
  for (const [name, t] of tensorEntries(op, tensors)) {
    if (name.length === 0 || name === METADATA_KEY || LONE_SURROGATE.test(name))
      throw fail(
        `invalid tensor name ${describeValue(name)} (expected a non-empty string of well-formed UTF-16, not ${METADATA_KEY})`,
        name,
      );
    if (names.has(name)) throw fail(`tensor '${name}' appears twice`, name);
    names.add(name);
    const data = t.data();
    const wide = t.dtype === 'int32' && int64.has(name);
    const byteLength = wide ? 2 * data.byteLength : data.byteLength;
    const entry = { dtype: wide ? 'I64' : FILE_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + byteLength] };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    chunks.push({ data, begin: offset, wide });
    offset += byteLength;
  }
  let json = `{${fields.join(',')}}`;
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  const padding = (8 - (headerBytes.length % 8)) % 8;
  if (padding > 0) headerBytes = encoder.encode((json += ' '.repeat(padding)));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes.length, true);
  view.setUint32(4, Math.floor(headerBytes.length / 2 ** 32), true);
  out.set(headerBytes, 8);
  const base = 8 + headerBytes.length;
  for (const { data, begin, wide } of chunks) {
    const at = base + begin;
    if (wide) data.forEach((x, i) => view.setBigInt64(at + 8 * i, BigInt(x), true));
    else if (data instanceof Float64Array) data.forEach((x, i) => view.setFloat64(at + 8 * i, x, true));
    else if (data instanceof Float32Array) data.forEach((x, i) => view.setFloat32(at + 4 * i, x, true));
    else if (data instanceof Int32Array) data.forEach((x, i) => view.setInt32(at + 4 * i, x, true));
    else out.set(data, at);
  }
  return out;
}

function jsonObject(entries: readonly (readonly [string, unknown])[]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
}

/** The [name, Tensor] pairs of `tensors`, checked one by one as they are read. */
function* tensorEntries(op: string, tensors: unknown): Generator<[string, Tensor]> {
  if (typeof tensors !== 'object' || tensors === null || typeof (tensors as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new ArgumentError(`${op}: tensors must be a Map or an iterable of [name, Tensor] pairs, got ${describeValue(tensors)}`);
  }
  let i = 0;
  for (const entry of tensors as Iterable<unknown>) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !(entry[1] instanceof Tensor)) {
      throw new ArgumentError(`${op}: tensors entry ${i} must be a [name, Tensor] pair, got ${describeValue(entry)}`);
    }
    yield [entry[0], entry[1]];
    i++;
  }
}

interface Entry {
  name: string;
  dtype: FileDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Decodes safetensors bytes. Everything is validated before any tensor is allocated: the
 * header length against the file, the JSON, each dtype, shape and offset pair, that no name
 * appears twice, and that the tensors tile the data exactly (no overlap, no gap, nothing left
 * over). Tensors keep the header's order. Memory stays within a small multiple of the file
 * size: a header listing more than one tensor per 256 file bytes (beyond the first 4096) is
 * refused. The metadata is a null-prototype object. Errors are `ModelFileError`s naming
 * `opts.file` and the tensor.
 */
export function decodeSafetensors(bytes: Uint8Array, opts: { file?: string } = {}): SafetensorsContents {
  const op = 'decodeSafetensors';
  const file = checkOptions(op, opts).file;
  return decodeTensors(op, bytes, file === undefined ? undefined : checkString(op, 'opts.file', file));
}

/**
 * `decodeSafetensors` for the functions built on it: `op` names the function the user called.
 * With `readInt64`, I64 tensors are read into int32 ones (a value outside the int32 range is a
 * `ModelFileError`); without it they are refused as unsupported.
 */
export function decodeTensors(op: string, bytes: unknown, file: string | undefined, readInt64 = false): SafetensorsContents {
  const fail = (msg: string, tensor?: string) => new ModelFileError(msg, { op, file, tensor });
  if (!(bytes instanceof Uint8Array)) throw fail(`expected the file contents as a Uint8Array, got ${describeValue(bytes)}`);
  if (bytes.length < 8) throw fail(`not a safetensors file: ${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > bytes.length - 8) throw fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`);
  if (headerLength > MAX_HEADER_BYTES) throw fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerLength === 0) throw fail('empty header: expected a JSON object');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch (e) {
    throw fail(`header is not valid UTF-8 (${e instanceof Error ? e.message : describeValue(e)})`);
  }
  // Counted before JSON.parse builds an object per entry: that tree is what would take the memory.
  const maxTensors = maxTensorCount(bytes.length);
  const keys = topLevelKeys(text, maxTensors + 1);
  if (keys === null) throw fail(`the header lists more than ${maxTensors} tensors, the most a ${bytes.length}-byte file may hold`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid JSON (${e instanceof Error ? e.message : describeValue(e)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw fail('header must be a JSON object');
  const header = parsed as Record<string, unknown>;
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) throw fail(`key ${describeValue(k)} appears twice in the header`, k);
    seen.add(k);
  }
  const dataLength = bytes.length - 8 - headerLength;
  const metadata = parseMetadata(Object.hasOwn(header, METADATA_KEY) ? header[METADATA_KEY] : undefined, fail);
  const entries: Entry[] = [];
  for (const name of keys) {
    if (name !== METADATA_KEY) entries.push(parseEntry(name, header[name], dataLength, readInt64, fail));
  }
  checkTiling(entries, dataLength, fail);
  // Only now, with every size proven to lie inside the file, is anything allocated.
  const base = bytes.byteOffset + 8 + headerLength;
  const tensors = new Map<string, Tensor>();
  for (const e of entries) tensors.set(e.name, readTensor(new DataView(bytes.buffer, base + e.begin, e.end - e.begin), e, fail));
  return { tensors, metadata };
}

/**
 * NOTE: a decoded tensor costs a few hundred bytes of objects even when it holds no data, and
 * a header entry can be as short as ~50 bytes, so a header of a million empty tensors would
 * take twenty times its size in memory. Allowing one tensor per 256 file bytes (plus 4096 for
 * any file) keeps the decoder within a few times the file size.
 */
const BYTES_PER_TENSOR = 256;
function maxTensorCount(fileBytes: number): number {
  return 4096 + Math.floor(fileBytes / BYTES_PER_TENSOR);
}

/**
 * The keys of the top-level object of `text`, in the order written (and with duplicates, which
 * JSON.parse silently merges), or null when there are more than `limit`. JSON.parse cannot give
 * the order: it moves integer-like keys (`"0"`, `"1"`) to the front. On text that is not valid
 * JSON the result is meaningless but the scan still ends; JSON.parse then rejects the text.
 */
function topLevelKeys(text: string, limit: number): string[] | null {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (j < text.length && text.charCodeAt(j) !== 0x22) {
        if (text.charCodeAt(j) === 0x5c /* \ */) {
          escaped = true;
          j++;
        }
        j++;
      }
      if (depth === 1 && expectKey) {
        if (keys.length === limit) return null;
        keys.push(escaped ? parseKey(text.slice(i, j + 1)) : text.slice(i + 1, j));
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      expectKey = depth === 1;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

/** A JSON string literal's value ('' for a broken one: JSON.parse of the whole text rejects it). */
function parseKey(literal: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return '';
  }
}

type Fail = (msg: string, tensor?: string) => ModelFileError;

function parseMetadata(raw: unknown, fail: Fail): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail(`${METADATA_KEY} must be an object of strings`);
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw fail(`${METADATA_KEY} entry '${k}' must be a string, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return out;
}

function parseEntry(name: string, raw: unknown, dataLength: number, readInt64: boolean, fail: Fail): Entry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail(`tensor '${name}': header entry must be an object`, name);
  const fields = raw as Record<string, unknown>;
  const extra = Object.keys(fields).find((k) => !FIELDS.includes(k));
  if (extra !== undefined) throw fail(`tensor '${name}': unexpected header field ${describeValue(extra)}`, name);
  const [dtype, shape, offsets] = FIELDS.map((k) => (Object.hasOwn(fields, k) ? fields[k] : undefined));
  if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_SIZE, dtype) || (dtype === 'I64' && !readInt64)) {
    const why =
      typeof dtype === 'string' && UNSUPPORTED.has(dtype)
        ? `is not supported (jacobi reads F32, F64, F16, BF16, I32 and BOOL${dtype === 'I64' ? `, and I64 with layout: 'torch'` : ''})`
        : 'is unknown';
    throw fail(`tensor '${name}': dtype ${JSON.stringify(dtype) ?? 'undefined'} ${why}`, name);
  }
  const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(shape) || !shape.every(isIndex))
    throw fail(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape) ?? 'undefined'}`, name);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    throw fail(
      `tensor '${name}': data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(offsets) ?? 'undefined'}`,
      name,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength)
    throw fail(`tensor '${name}': data_offsets [${begin}, ${end}] are out of range for ${dataLength} bytes of data`, name);
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = count * ITEM_SIZE[dtype as FileDType];
  if (expected !== end - begin) {
    throw fail(
      `tensor '${name}': shape [${shape}] of ${dtype} needs ${expected} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`,
      name,
    );
  }
  return { name, dtype: dtype as FileDType, shape: shape as number[], begin, end };
}

const FIELDS: readonly string[] = ['dtype', 'shape', 'data_offsets'];

/** The tensors must tile [0, dataLength) exactly, as the format requires. */
function checkTiling(entries: readonly Entry[], dataLength: number, fail: Fail): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < cursor)
      throw fail(
        `tensor '${e.name}': bytes [${e.begin}, ${e.end}) overlap tensor '${previous!.name}' [${previous!.begin}, ${previous!.end})`,
        e.name,
      );
    if (e.begin > cursor)
      throw fail(`tensor '${e.name}': gap of ${e.begin - cursor} bytes before it (data_offsets must not leave holes)`, e.name);
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataLength)
    throw fail(`the tensors cover ${cursor} of ${dataLength} data bytes: ${dataLength - cursor} trailing bytes belong to no tensor`);
}

function readTensor(view: DataView, e: Entry, fail: Fail): Tensor {
  const n = e.shape.reduce((a, b) => a * b, 1);
  if (e.dtype === 'I64') {
    // NOTE: jacobi's integers are int32; PyTorch's counters (num_batches_tracked) are int64 but small.
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = view.getBigInt64(8 * i, true);
      if (v > 2147483647n || v < -2147483648n)
        throw fail(`tensor '${e.name}': I64 value ${v} at flat position ${i} does not fit jacobi's int32`, e.name);
      out[i] = Number(v);
    }
    return tensor(out, { shape: e.shape });
  }
  if (e.dtype === 'F64') {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
    return tensor(out, { shape: e.shape });
  }
  if (e.dtype === 'I32') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
    return tensor(out, { shape: e.shape });
  }
  // A BOOL byte other than 0 and 1 reads as true, as any non-zero value converts to bool.
  if (e.dtype === 'BOOL') return tensor(new Uint8Array(view.buffer, view.byteOffset, n), { shape: e.shape, dtype: 'bool' });
  const out = new Float32Array(n);
  if (e.dtype === 'F32') for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  else if (e.dtype === 'BF16') for (let i = 0; i < n; i++) out[i] = bf16ToNumber(view.getUint16(2 * i, true));
  else for (let i = 0; i < n; i++) out[i] = f16ToNumber(view.getUint16(2 * i, true));
  return tensor(out, { shape: e.shape });
}

const scratch = new DataView(new ArrayBuffer(4));
/** bfloat16 is the top half of a float32. */
function bf16ToNumber(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

/** IEEE half precision: 1 sign, 5 exponent (bias 15), 10 fraction bits. */
function f16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
