// A pool of worker threads sharing one WebAssembly memory with the calling thread. A job is a
// table of *units*, each a short list of calls into the kernel module (pack, macro) held
// in shared memory; every thread (the caller included) claims units from a shared counter until
// none are left, so a worker that wakes late, or not at all, only means the caller does more of
// the work. The public API is synchronous: the caller blocks on Atomics until all units are done.
import { Arena } from './arena.js';
import { wasmApi, type WasmMemory } from './wasm-api.js';

/** Exports a job record may call, by index (record word 0). */
export const POOL_FUNCTIONS = [
  'pack_a_f32',
  'pack_b_f32',
  'macro_f32',
  'macro_set_f32',
  'pack_a_f64',
  'pack_b_f64',
  'macro_f64',
  'macro_set_f64',
] as const;

/** Int32 words per record: the function index and seven i32 arguments. */
export const RECORD_WORDS = 8;

// Control block: int32 words at the bottom of the shared memory (the arena starts above it).
// Words that different threads write often sit on separate 64-byte cache lines.
export const SEQ = 0; // job sequence number; idle workers wait on it (exported: tests post jobs by hand)
const NEXT = 16; // claim word: (generation << 16) | next unit index
const P1DONE = 32; // units of phase 1 finished
const DONE = 48; // units finished
const TOTAL = 64; // (generation << 16) | unit count
const P1 = 65; // units in phase 1: every later unit waits until these are finished
const TABLE = 66; // byte address of the unit table: [firstRecord, recordCount] per unit
const RECS = 67; // byte address of the records
const ERROR = 68; // set when a unit threw
const READY = 80; // workers that finished instantiating
const KERNEL_TABLE = 96; // byte address of the added kernels' [bytes address, length] table (0: none yet)
const CONTROL_BYTES = 1024;

/**
 * Most kernels {@link ThreadPool.addKernel} adds: each worker holds a loader for every slot
 * (compiled from the kernel's bytes at its first unit), and a job record names a slot by index.
 */
export const KERNEL_SLOTS = 1024;

/** Most units in one job: the unit index shares the claim word with a 16-bit generation. */
export const MAX_UNITS = 0xffff;

// Idle workers spin this long after a job before sleeping in Atomics.wait, so that back-to-back
// matmuls skip the ~10 µs futex wake-up. Kept short: on the 2-vCPU test machine a spinning
// thread slows the other vCPU's GEMM by ~30% (they behave like hyperthread siblings), and
// spinning 2 ms measured no faster than not spinning at all.
const SPIN_MS = 0.05;

type Fn7 = (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => void;

/** The control words the claim loop reads and writes, and the record size: passed to it, as it may not read module constants. */
export interface ClaimWords {
  readonly next: number;
  readonly total: number;
  readonly p1: number;
  readonly p1Done: number;
  readonly done: number;
  readonly table: number;
  readonly recs: number;
  readonly error: number;
  readonly recordWords: number;
}

/** The pool's control words as {@link claimUnits} takes them (the workers get a JSON copy). */
export const CLAIM_WORDS: ClaimWords = {
  next: NEXT,
  total: TOTAL,
  p1: P1,
  p1Done: P1DONE,
  done: DONE,
  table: TABLE,
  recs: RECS,
  error: ERROR,
  recordWords: RECORD_WORDS,
};

/**
 * The claim protocol, run by every thread of a job, the caller and each worker: claims units
 * from the NEXT word until the job's are gone (or the words belong to another job), runs each
 * unit's records, and counts it done, waking the waiters of the last phase-1 unit and of the
 * last unit. A unit after phase 1 first waits, by `awaitPhase1(p1)`, until phase 1 is done.
 * The caller may pass `afterUnit`, called with each unit it ran itself once that unit is done
 * (the workers pass none).
 * NOTE: this is the one definition of the loop: the workers run its source text (see
 * WORKER_SOURCE), so it must stay self-contained: only its parameters and the global
 * `Atomics`, no inner functions (a bundler's keep-names helper would be a module reference),
 * no module constants (a minifier renames them).
 */
export function claimUnits(
  c: Int32Array,
  memory: { readonly buffer: ArrayBufferLike },
  fns: readonly Fn7[],
  words: ClaimWords,
  awaitPhase1: (p1: number) => void,
  afterUnit?: (u: number) => void,
): void {
  const W = words.recordWords;
  let mem = new Int32Array(memory.buffer);
  for (;;) {
    const w = Atomics.load(c, words.next);
    const t = Atomics.load(c, words.total);
    if (w >>> 16 !== t >>> 16 || (w & 0xffff) >= (t & 0xffff)) return;
    if (Atomics.compareExchange(c, words.next, w, w + 1) !== w) continue;
    const u = w & 0xffff;
    const total = t & 0xffff;
    const p1 = Atomics.load(c, words.p1);
    try {
      if (u >= p1) awaitPhase1(p1);
      const table = Atomics.load(c, words.table) >> 2;
      const recs = Atomics.load(c, words.recs) >> 2;
      // The staging may have grown the memory since this view was made.
      if (mem.buffer !== memory.buffer) mem = new Int32Array(memory.buffer);
      const first = recs + mem[table + 2 * u]! * W;
      const end = first + mem[table + 2 * u + 1]! * W;
      for (let r = first; r < end; r += W)
        fns[mem[r]!]!(mem[r + 1]!, mem[r + 2]!, mem[r + 3]!, mem[r + 4]!, mem[r + 5]!, mem[r + 6]!, mem[r + 7]!);
    } catch {
      Atomics.store(c, words.error, 1);
    }
    if (u < p1 && Atomics.add(c, words.p1Done, 1) + 1 === p1) Atomics.notify(c, words.p1Done);
    if (Atomics.add(c, words.done, 1) + 1 === total) Atomics.notify(c, words.done);
    if (afterUnit !== undefined) afterUnit(u);
  }
}

// The worker's code, as a string so that it runs the same from the TypeScript sources (under
// vitest) and from dist/, in Node (`eval: true`) and in browsers (a Blob URL): the idle wait
// for the next job around `claimUnits`, whose own source text is spliced in. Plain ES2020.
const WORKER_SOURCE = `'use strict';
const SEQ = ${SEQ}, P1DONE = ${P1DONE}, READY = ${READY}, KERNEL_TABLE = ${KERNEL_TABLE};
const WORDS = ${JSON.stringify(CLAIM_WORDS)};
const claimUnits = (${claimUnits.toString()});
function start(d) {
  const memory = d.memory;
  const ex = new WebAssembly.Instance(new WebAssembly.Module(d.bytes), { env: { memory } }).exports;
  const fns = d.names.map((n) => ex[n]);
  const c = new Int32Array(memory.buffer, 0, ${CONTROL_BYTES / 4});
  // An added kernel's slot holds a loader until its first unit here: it compiles the kernel's
  // bytes (written into the shared memory before any job naming it was posted) and takes its place.
  const first = fns.length;
  for (let s = 0; s < ${KERNEL_SLOTS}; s++) {
    fns.push((a0, a1, a2, a3, a4, a5, a6) => {
      const words = new Int32Array(memory.buffer);
      const t = (Atomics.load(c, KERNEL_TABLE) >> 2) + 2 * s;
      const bytes = new Uint8Array(memory.buffer, words[t], words[t + 1]).slice();
      const unit = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.unit;
      fns[first + s] = unit;
      unit(a0, a1, a2, a3, a4, a5, a6);
    });
  }
  const awaitPhase1 = (p1) => {
    const until = performance.now() + d.spinMs;
    for (let i = 1, v; (v = Atomics.load(c, P1DONE)) < p1; i++) if ((i & 1023) === 0 && performance.now() > until) Atomics.wait(c, P1DONE, v, 1);
  };
  Atomics.add(c, READY, 1);
  let seen = Atomics.load(c, SEQ);
  for (;;) {
    let s = Atomics.load(c, SEQ);
    if (s === seen) {
      const until = performance.now() + d.spinMs;
      for (let i = 1; (s = Atomics.load(c, SEQ)) === seen; i++) {
        if ((i & 1023) === 0 && performance.now() > until) Atomics.wait(c, SEQ, seen);
      }
    }
    seen = s;
    claimUnits(c, memory, fns, WORDS, awaitPhase1);
  }
}
// Node runs an eval worker as CommonJS or, under --input-type=module, as ESM: reach
// worker_threads without require (getBuiltinModule, else a dynamic import, valid in both).
if (typeof process === 'object' && process.versions && process.versions.node) {
  const wt = typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:worker_threads') : undefined;
  if (wt) start(wt.workerData);
  else import('node:worker_threads').then((m) => start(m.workerData));
} else self.onmessage = (e) => start(e.data);
`;

/** The parts of Node's `worker_threads.Worker` and of a Web Worker that the pool uses. */
interface WorkerHandle {
  terminate(): unknown;
}

interface NodeWorkerModule {
  Worker: new (
    src: string,
    opts: { eval: true; workerData: unknown; execArgv: string[] },
  ) => WorkerHandle & {
    unref(): void;
    on(event: string, cb: (arg: unknown) => void): void;
  };
}

interface NodeOsModule {
  availableParallelism?: () => number;
  cpus(): unknown[];
}

interface HostGlobals {
  process?: { getBuiltinModule?: (id: string) => unknown };
  navigator?: { hardwareConcurrency?: number };
  Worker?: new (url: string) => WorkerHandle & { postMessage(data: unknown): void };
  Blob?: new (parts: string[], opts: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string };
  SharedArrayBuffer?: unknown;
}

const host = globalThis as unknown as HostGlobals;

/** A Node built-in module without a static import (this file is reachable from browsers too). */
function nodeBuiltin<T>(id: string): T | undefined {
  try {
    return host.process?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}

/** Logical processors of this host (1 where it cannot tell). */
export function hardwareThreads(): number {
  const os = nodeBuiltin<NodeOsModule>('node:os');
  if (os) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  return Math.max(1, host.navigator?.hardwareConcurrency ?? 1);
}

/**
 * Whether this thread may block in `Atomics.wait` on shared memory: not without
 * SharedArrayBuffer (browsers without cross-origin isolation), and not on a browser's main
 * thread, where `Atomics.wait` throws.
 */
function canBlock(): boolean {
  if (typeof host.SharedArrayBuffer !== 'function') return false;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** How to start a worker from {@link WORKER_SOURCE} with its start data, where possible. */
function workerSpawner(): ((data: unknown) => WorkerHandle) | undefined {
  const wt = nodeBuiltin<NodeWorkerModule>('node:worker_threads');
  if (wt) {
    return (data) => {
      // execArgv: [] keeps the parent's flags (e.g. --input-type, --cpu-prof) off the worker.
      const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data, execArgv: [] });
      // Idle workers block in Atomics.wait forever: they must not keep the process alive, and
      // a failed start must not become an uncaught exception (the caller just works alone).
      w.unref();
      w.on('error', () => {});
      return w;
    };
  }
  const { Worker, Blob, URL } = host;
  if (Worker && Blob && URL) {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    return (data) => {
      const w = new Worker(url);
      w.postMessage(data);
      return w;
    };
  }
  return undefined;
}

/**
 * A shared memory of at most `maxPages`, or of a smaller maximum where the host refuses to
 * reserve that much address space (32-bit or memory-constrained browsers). A module declaring
 * the larger maximum accepts a memory with a smaller one; the arena's growth then fails earlier.
 */
function sharedMemory(Memory: new (d: object) => WasmMemory, maxPages: number): WasmMemory {
  for (const max of [maxPages, 16384, 4096]) {
    try {
      return new Memory({ initial: 16, maximum: Math.min(max, maxPages), shared: true });
    } catch {
      // try a smaller reservation
    }
  }
  throw new RangeError('wasm backend: no shared memory');
}

/** Worker threads over one shared memory, with the caller's own instance of the module. */
export interface ThreadPool {
  /** The scratch arena over the shared memory (above the control block). */
  readonly arena: Arena;
  /** Threads a job can use, the caller included. */
  readonly size: number;
  /** The caller's own instance's export `name` (a kernel over the shared memory, run on this thread), or undefined. */
  exported(name: string): unknown;
  /**
   * Adds a job function: `bytes`, a module importing the pool's memory (shared, of the pool's
   * maximum) and exporting `unit`, taking seven i32s as a record passes them. Returns the
   * index job records call it by, or -1 once {@link KERNEL_SLOTS} are taken. The caller
   * compiles it now; each worker compiles it at its first unit of it.
   */
  addKernel(bytes: Uint8Array): number;
  /** Workers that have started and can take units now. */
  readyWorkers(): number;
  /** Resolves once every worker has started (or after `timeoutMs`), to `readyWorkers() + 1`. */
  whenReady(timeoutMs?: number): Promise<number>;
  /**
   * Runs `total` units described at `tablePtr`/`recsPtr` (byte addresses in the arena); units
   * `0..phase1-1` are finished before any later one starts. Returns when all are done.
   * `collect`, if given, is called once with each unit from `phase1` on: on this thread with
   * each one it ran itself as soon as that unit is done (`own`; the workers still compute, and
   * its results are in this thread's cache), then with the workers' ones after the job.
   */
  run(tablePtr: number, recsPtr: number, phase1: number, total: number, collect?: (u: number, own: boolean) => void): void;
  /**
   * Wakes sleeping workers ahead of a `run` (they find no unit and spin for a while), so that
   * their wake-up overlaps the caller's staging of the operands instead of the job itself.
   */
  wake(): void;
  /** Stops the workers; later `run`s execute every unit on the calling thread. */
  dispose(): void;
}

/**
 * Creates a pool of `threads - 1` workers over a new shared memory, each instantiating
 * `bytes` (a module importing `env.memory`, built with that `maxPages`). Returns undefined
 * where threads cannot work here: no shared memory, no workers, or a thread that may not block.
 * Workers start asynchronously; until they are up, jobs run on the calling thread alone.
 */
export function createThreadPool(bytes: Uint8Array, maxPages: number, threads: number): ThreadPool | undefined {
  const api = wasmApi() as unknown as
    | {
        Memory?: new (d: object) => WasmMemory;
        Module: new (b: Uint8Array) => object;
        Instance: new (m: object, i: object) => { exports: Record<string, unknown> };
      }
    | undefined;
  if (!api?.Memory || threads < 2 || !canBlock()) return undefined;
  const spawn = workerSpawner();
  if (!spawn) return undefined;
  let memory: WasmMemory;
  let exports: Record<string, unknown>;
  try {
    memory = sharedMemory(api.Memory, maxPages);
    exports = new api.Instance(new api.Module(bytes), { env: { memory } }).exports;
  } catch {
    return undefined;
  }
  const fns = POOL_FUNCTIONS.map((n) => exports[n] as Fn7);
  const c = new Int32Array(memory.buffer, 0, CONTROL_BYTES / 4);
  const arena = new Arena(memory, CONTROL_BYTES);
  const workers: WorkerHandle[] = [];
  for (let i = 0; i < threads - 1; i++) {
    try {
      workers.push(spawn({ bytes, memory, names: POOL_FUNCTIONS, spinMs: SPIN_MS }));
    } catch {
      break;
    }
  }
  let generation = 0;
  let disposed = false;
  let kernels = 0;

  const awaitPhase1 = (p1: number): void => waitFor(P1DONE, p1);

  /** Blocks until word `at` reaches `target`: spins briefly, then sleeps (woken by notify). */
  function waitFor(at: number, target: number): void {
    for (let i = 0; i < 20000; i++) if (Atomics.load(c, at) >= target) return;
    for (let v = Atomics.load(c, at); v < target; v = Atomics.load(c, at)) Atomics.wait(c, at, v, 50);
  }

  return {
    arena,
    size: 1 + workers.length,
    exported: (name) => exports[name],
    addKernel(kernelBytes) {
      if (kernels === KERNEL_SLOTS) return -1;
      const unit = new api.Instance(new api.Module(kernelBytes), { env: { memory } }).exports.unit as Fn7;
      let table = Atomics.load(c, KERNEL_TABLE);
      if (table === 0) Atomics.store(c, KERNEL_TABLE, (table = arena.hold(KERNEL_SLOTS * 8)));
      const at = arena.hold(kernelBytes.length, false);
      arena.view('bool').set(kernelBytes, at);
      arena.i32().set([at, kernelBytes.length], (table >> 2) + 2 * kernels);
      kernels++;
      return fns.push(unit) - 1;
    },
    readyWorkers: () => (disposed ? 0 : Atomics.load(c, READY)),
    async whenReady(timeoutMs = 5000): Promise<number> {
      const until = Date.now() + timeoutMs;
      while (!disposed && Atomics.load(c, READY) < workers.length && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return (disposed ? 0 : Atomics.load(c, READY)) + 1;
    },
    run(tablePtr, recsPtr, phase1, total, collect) {
      if (total > MAX_UNITS) throw new RangeError('wasm backend: too many units in one job');
      // The generation in NEXT and TOTAL lets a worker that read stale words (it slept through
      // whole jobs) see the mismatch instead of claiming a unit of the wrong job.
      generation = (generation + 1) & 0xffff;
      Atomics.store(c, ERROR, 0);
      Atomics.store(c, TABLE, tablePtr);
      Atomics.store(c, RECS, recsPtr);
      Atomics.store(c, P1, phase1);
      Atomics.store(c, P1DONE, 0);
      Atomics.store(c, DONE, 0);
      Atomics.store(c, TOTAL, (generation << 16) | total);
      Atomics.store(c, NEXT, generation << 16);
      Atomics.add(c, SEQ, 1);
      if (!disposed) Atomics.notify(c, SEQ);
      const ran = collect === undefined ? null : new Uint8Array(total);
      claimUnits(
        c,
        memory,
        fns,
        CLAIM_WORDS,
        awaitPhase1,
        ran === null
          ? undefined
          : (u) => {
              if (u < phase1) return;
              ran[u] = 1;
              collect!(u, true);
            },
      );
      waitFor(DONE, total);
      if (Atomics.load(c, ERROR) !== 0) throw new Error('wasm backend: a threaded unit failed');
      if (ran !== null) for (let u = phase1; u < total; u++) if (ran[u] === 0) collect!(u, false);
    },
    wake() {
      // No job is posted: every unit of the last one was claimed, so a woken worker claims
      // nothing, and SEQ moving on only restarts its spin.
      Atomics.add(c, SEQ, 1);
      if (!disposed) Atomics.notify(c, SEQ);
    },
    dispose() {
      disposed = true;
      for (const w of workers) w.terminate();
    },
  };
}
