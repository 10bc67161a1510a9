// This machine's ceiling for 128-bit WebAssembly SIMD: a tiny module, written byte by byte here,
// runs acc = acc·m + a on k independent f32x4 accumulators held in v128 locals. Each mul+add
// pair is 8 FLOPs (4 lanes × 2). Measured on one core and on every core at once (one worker each).
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export interface SimdCeiling {
  /** GFLOP/s of one core (the best accumulator count). */
  perCoreGflops: number;
  /** Sum of the per-worker rates with one worker per core, started together. */
  allCoresGflops: number;
  cores: number;
  accumulators: number;
  /** GFLOP/s of one core for each accumulator count tried. */
  byAccumulators: Record<number, number>;
}

/** LEB128 of an unsigned integer. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** LEB128 of a signed 32-bit integer. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  br: 0x0c,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Sub: 0x6b,
  simd: 0xfd,
} as const;
// NOTE: SIMD opcodes follow the 0xfd prefix as a LEB128 u32, so 228 is the two bytes e4 01.
const SIMD = { v128Const: 12, f32x4Splat: 19, f32x4ExtractLane: 31, f32x4Add: 228, f32x4Mul: 230 } as const;
const V128 = 0x7b;
const I32 = 0x7f;
const F32 = 0x7d;

const simd = (op: number): number[] => [OP.simd, ...uleb(op)];
function f32x4Const(value: number): number[] {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let lane = 0; lane < 4; lane++) view.setFloat32(lane * 4, value, true);
  return [...simd(SIMD.v128Const), ...bytes];
}

/**
 * The module: `run(iterations: i32) -> f32` does `iterations` rounds of acc_j = acc_j·m + a for
 * j < accumulators and returns lane 0 of the accumulators' sum (so nothing is dead code).
 * NOTE: m < 1 and a > 0 make every accumulator converge to a/(1−m); no overflow, no denormals.
 */
export function simdModuleBytes(accumulators: number): Uint8Array<ArrayBuffer> {
  const iters = 0;
  const acc = (j: number) => 1 + j;
  const m = 1 + accumulators;
  const a = 2 + accumulators;
  const body: number[] = [];
  for (let j = 0; j < accumulators; j++) body.push(...f32x4Const(1 + j / accumulators), OP.localSet, acc(j));
  body.push(...f32x4Const(0.999), OP.localSet, m, ...f32x4Const(0.001), OP.localSet, a);
  body.push(OP.block, 0x40, OP.localGet, iters, OP.i32Eqz, OP.brIf, 0, OP.loop, 0x40);
  for (let j = 0; j < accumulators; j++) {
    body.push(OP.localGet, acc(j), OP.localGet, m, ...simd(SIMD.f32x4Mul), OP.localGet, a, ...simd(SIMD.f32x4Add), OP.localSet, acc(j));
  }
  body.push(OP.localGet, iters, OP.i32Const, ...sleb(1), OP.i32Sub, OP.localTee, iters, OP.brIf, 0, OP.end, OP.end);
  body.push(OP.localGet, acc(0));
  for (let j = 1; j < accumulators; j++) body.push(OP.localGet, acc(j), ...simd(SIMD.f32x4Add));
  body.push(...simd(SIMD.f32x4ExtractLane), 0, OP.end);
  const locals = vec([[...uleb(accumulators + 2), V128]]);
  const code = [...locals, ...body];

  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([[0x60, ...vec([[I32]]), ...vec([[F32]])]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...vec([...'run'].map((c) => [c.charCodeAt(0)])), 0x00, 0]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ];
  return new Uint8Array(bytes);
}

type RunFn = (iterations: number) => number;

// NOTE: the ES2022 lib and @types/node 20 do not declare WebAssembly; this is the part used here.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
};

function instantiate(bytes: Uint8Array): RunFn {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  return instance.exports.run as RunFn;
}

/** FLOPs of one call: 8 per accumulator per iteration. */
const flopsOf = (iterations: number, accumulators: number): number => iterations * accumulators * 8;

/** Best GFLOP/s of a few calls lasting about `targetMs` each, after warm-up calls (V8 tiers up between calls). */
function measureOneCore(run: RunFn, accumulators: number, targetMs: number): { gflops: number; iterations: number } {
  let iterations = 10_000;
  for (let i = 0; i < 6; i++) run(iterations);
  for (;;) {
    const t0 = performance.now();
    run(iterations);
    const ms = performance.now() - t0;
    if (ms >= targetMs / 4 || iterations > 2 ** 29) {
      iterations = Math.min(2 ** 30, Math.max(1, Math.round((iterations * targetMs) / Math.max(ms, 1e-3))));
      break;
    }
    iterations *= 4;
  }
  let best = 0;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    run(iterations);
    const ms = performance.now() - t0;
    best = Math.max(best, flopsOf(iterations, accumulators) / ms / 1e6);
  }
  return { gflops: best, iterations };
}

// The worker runs as a plain script (eval), so it works from the TypeScript sources and from dist.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { bytes, iterations, flops, flag } = workerData;
const run = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.run;
for (let i = 0; i < 6; i++) run(Math.max(1, iterations >> 3));
const signal = new Int32Array(flag);
Atomics.add(signal, 1, 1);
parentPort.postMessage({ ready: true });
Atomics.wait(signal, 0, 0);
let best = 0;
for (let rep = 0; rep < 3; rep++) {
  const t0 = performance.now();
  run(iterations);
  best = Math.max(best, flops / (performance.now() - t0) / 1e6);
}
parentPort.postMessage({ gflops: best });
`;

async function measureAllCores(bytes: Uint8Array, accumulators: number, iterations: number, cores: number): Promise<number> {
  const flag = new SharedArrayBuffer(8);
  const signal = new Int32Array(flag);
  const flops = flopsOf(iterations, accumulators);
  const workers = Array.from(
    { length: cores },
    () => new Worker(WORKER_SOURCE, { eval: true, workerData: { bytes, iterations, flops, flag } }),
  );
  try {
    const rates = await new Promise<number[]>((resolve, reject) => {
      const gflops: number[] = [];
      let ready = 0;
      for (const w of workers) {
        w.on('error', reject);
        w.on('message', (msg: { ready?: boolean; gflops?: number }) => {
          if (msg.ready && ++ready === cores) {
            Atomics.store(signal, 0, 1);
            Atomics.notify(signal, 0);
          }
          if (msg.gflops !== undefined) {
            gflops.push(msg.gflops);
            if (gflops.length === cores) resolve(gflops);
          }
        });
      }
    });
    return rates.reduce((sum, r) => sum + r, 0);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export interface CeilingOptions {
  /** Milliseconds per timed call (default 300). */
  targetMs?: number;
  /** Accumulator counts to try (default 8 and 12: 12 plus the 2 constants still fit in x86's 16 xmm registers). */
  accumulators?: readonly number[];
  /** Workers for the all-cores figure (default `os.availableParallelism()`); 0 skips it. */
  cores?: number;
}

/** Measures the SIMD ceiling on one core and on all cores. */
export async function measureSimdCeiling(opts: CeilingOptions = {}): Promise<SimdCeiling> {
  const targetMs = opts.targetMs ?? 300;
  const cores = opts.cores ?? os.availableParallelism();
  const byAccumulators: Record<number, number> = {};
  let best = { accumulators: 0, gflops: 0, iterations: 1 };
  for (const k of opts.accumulators ?? [8, 12]) {
    const { gflops, iterations } = measureOneCore(instantiate(simdModuleBytes(k)), k, targetMs);
    byAccumulators[k] = gflops;
    if (gflops > best.gflops) best = { accumulators: k, gflops, iterations };
  }
  const allCoresGflops =
    cores > 0 ? await measureAllCores(simdModuleBytes(best.accumulators), best.accumulators, best.iterations, cores) : Number.NaN;
  return { perCoreGflops: best.gflops, allCoresGflops, cores, accumulators: best.accumulators, byAccumulators };
}
