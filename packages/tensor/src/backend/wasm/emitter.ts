// A tiny WebAssembly binary emitter: LEB128, the sections a kernel module needs, and a
// function-body builder with named opcodes (incl. the 0xFD SIMD and 0xFC bulk-memory prefixes).

/** Value types, as encoded in the binary format. */
export const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof T)[keyof typeof T];

/** One-byte opcodes of the core instruction set (only those the kernels use). */
export const OP = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f,
  drop: 0x1a, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, f32Load: 0x2a, f64Load: 0x2b, i32Store: 0x36, f32Store: 0x38, f64Store: 0x39,
  i32Const: 0x41, f32Const: 0x43, f64Const: 0x44,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32LtU: 0x49, i32GtS: 0x4a, i32GtU: 0x4b,
  i32LeS: 0x4c, i32LeU: 0x4d, i32GeS: 0x4e, i32GeU: 0x4f,
  f32Ne: 0x5c, f64Ne: 0x62,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32DivU: 0x6e, i32RemU: 0x70, i32And: 0x71, i32Or: 0x72,
  i32Shl: 0x74, i32ShrS: 0x75, i32ShrU: 0x76,
  f32Abs: 0x8b, f32Neg: 0x8c, f32Sqrt: 0x91, f32Add: 0x92, f32Sub: 0x93, f32Mul: 0x94, f32Div: 0x95,
  f32Min: 0x96, f32Max: 0x97,
  f64Abs: 0x99, f64Neg: 0x9a, f64Sqrt: 0x9f, f64Add: 0xa0, f64Sub: 0xa1, f64Mul: 0xa2, f64Div: 0xa3,
  f64Min: 0xa4, f64Max: 0xa5,
  f64PromoteF32: 0xbb, f32DemoteF64: 0xb6,
} as const;
export type Op = (typeof OP)[keyof typeof OP];

/** SIMD opcodes, encoded as 0xFD followed by this number in unsigned LEB128. */
export const SIMD = {
  load: 0, load32Splat: 9, load64Splat: 10, store: 11, const: 12, shuffle: 13,
  i32x4Splat: 17, f32x4Splat: 19, f64x2Splat: 20,
  f32x4ExtractLane: 31, f64x2ExtractLane: 33,
  i8x16Ne: 36,
  f32x4Eq: 65, f32x4Ne: 66, f32x4Lt: 67, f32x4Gt: 68, f32x4Le: 69, f32x4Ge: 70,
  f64x2Eq: 71, f64x2Ne: 72, f64x2Lt: 73, f64x2Gt: 74, f64x2Le: 75, f64x2Ge: 76,
  not: 77, and: 78, andnot: 79, or: 80, xor: 81, bitselect: 82, anyTrue: 83,
  f32x4DemoteF64x2Zero: 94, f64x2PromoteLowF32x4: 95,
  i8x16NarrowI16x8S: 101, f32x4Nearest: 106, f64x2Floor: 117, f64x2Nearest: 148,
  i16x8NarrowI32x4S: 133, i16x8ExtendLowI8x16S: 135, i16x8ExtendHighI8x16S: 136,
  i32x4ExtendLowI16x8S: 167, i32x4ExtendHighI16x8S: 168,
  i32x4Shl: 171, i32x4ShrS: 172, i32x4Add: 174, i32x4Sub: 177,
  i64x2ExtendLowI32x4S: 199, i64x2ExtendHighI32x4S: 200, i64x2Shl: 203, i64x2ShrU: 205, i64x2Add: 206, i64x2Sub: 209,
  f32x4Abs: 224, f32x4Neg: 225, f32x4Sqrt: 227, f32x4Add: 228, f32x4Sub: 229, f32x4Mul: 230,
  f32x4Div: 231, f32x4Min: 232, f32x4Max: 233, f32x4Pmin: 234,
  f64x2Abs: 236, f64x2Neg: 237, f64x2Sqrt: 239, f64x2Add: 240, f64x2Sub: 241, f64x2Mul: 242,
  f64x2Div: 243, f64x2Min: 244, f64x2Max: 245,
  i32x4TruncSatF32x4S: 248, f32x4ConvertI32x4S: 250,
  // Relaxed SIMD (feature-detected before use): a*b+c, fused or not at the engine's choice.
  f32x4RelaxedMadd: 0x105, f64x2RelaxedMadd: 0x107,
} as const;
export type SimdOp = (typeof SIMD)[keyof typeof SIMD];

/** Appends the unsigned LEB128 encoding of `value` (a non-negative integer < 2^32). */
export function pushU32(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

/** Appends the signed LEB128 encoding of a 32-bit integer. */
export function pushI32(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    // Stop once the remaining bits are pure sign extension of the byte's top bit.
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

const scratch = new DataView(new ArrayBuffer(8));

/**
 * Builds one function body. Locals are allocated with `local()`; parameters are locals
 * `0..params.length-1`. Loops and conditionals are written with the structured helpers
 * (`loopUntil`, `forRange`, `ifElse`), which emit the blocks and compute the branch depths;
 * `block/loop/br/brIf` remain for the rare shape they do not cover (a do-while loop).
 */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[]) {}

  /** Declares a new local of `type` and returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  op(...ops: Op[]): this {
    for (const o of ops) this.code.push(o);
    return this;
  }
  simd(...ops: SimdOp[]): this {
    for (const o of ops) {
      this.code.push(0xfd);
      pushU32(this.code, o);
    }
    return this;
  }
  get(index: number): this {
    this.code.push(OP.localGet);
    pushU32(this.code, index);
    return this;
  }
  set(index: number): this {
    this.code.push(OP.localSet);
    pushU32(this.code, index);
    return this;
  }
  tee(index: number): this {
    this.code.push(OP.localTee);
    pushU32(this.code, index);
    return this;
  }
  i32(value: number): this {
    this.code.push(OP.i32Const);
    pushI32(this.code, value);
    return this;
  }
  f32(value: number): this {
    this.code.push(OP.f32Const);
    scratch.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.code.push(scratch.getUint8(i));
    return this;
  }
  f64(value: number): this {
    this.code.push(OP.f64Const);
    scratch.setFloat64(0, value, true);
    for (let i = 0; i < 8; i++) this.code.push(scratch.getUint8(i));
    return this;
  }
  /** A v128 constant of four equal float32 lanes (or two float64 lanes when `lanes` is 2). */
  v128Splat(value: number, lanes: 2 | 4): this {
    this.code.push(0xfd);
    pushU32(this.code, SIMD.const);
    for (let l = 0; l < lanes; l++) {
      if (lanes === 4) scratch.setFloat32(0, value, true);
      else scratch.setFloat64(0, value, true);
      for (let i = 0; i < 16 / lanes; i++) this.code.push(scratch.getUint8(i));
    }
    return this;
  }
  /** A v128 constant of four equal int32 lanes. */
  v128I32(value: number): this {
    this.code.push(0xfd);
    pushU32(this.code, SIMD.const);
    scratch.setInt32(0, value, true);
    for (let l = 0; l < 4; l++) for (let i = 0; i < 4; i++) this.code.push(scratch.getUint8(i));
    return this;
  }
  /** A v128 constant of two equal int64 lanes (bit patterns of float64 fields and masks). */
  v128I64(value: bigint): this {
    this.code.push(0xfd);
    pushU32(this.code, SIMD.const);
    scratch.setBigInt64(0, value, true);
    for (let l = 0; l < 2; l++) for (let i = 0; i < 8; i++) this.code.push(scratch.getUint8(i));
    return this;
  }
  /** A scalar memory access with a static byte `offset`; `alignLog2` is the alignment hint. */
  mem(o: Op, offset = 0, alignLog2 = 2): this {
    this.code.push(o);
    pushU32(this.code, alignLog2);
    pushU32(this.code, offset);
    return this;
  }
  /** A SIMD memory access (load, store, splat loads) with a static byte `offset`. */
  vmem(o: SimdOp, offset = 0, alignLog2 = 4): this {
    this.simd(o);
    pushU32(this.code, alignLog2);
    pushU32(this.code, offset);
    return this;
  }
  /** A lane-indexed SIMD instruction (extract_lane / replace_lane). */
  lane(o: SimdOp, index: number): this {
    this.simd(o);
    this.code.push(index);
    return this;
  }
  /** i8x16.shuffle with the sixteen byte selectors. */
  shuffle(bytes: readonly number[]): this {
    this.simd(SIMD.shuffle);
    for (const b of bytes) this.code.push(b);
    return this;
  }
  /** memory.fill(dst, value, size) with its operands already on the stack. */
  memoryFill(): this {
    this.code.push(0xfc);
    pushU32(this.code, 11);
    this.code.push(0x00);
    return this;
  }
  /** memory.copy(dst, src, size) with its operands already on the stack (overlap allowed). */
  memoryCopy(): this {
    this.code.push(0xfc);
    pushU32(this.code, 10);
    this.code.push(0x00, 0x00);
    return this;
  }
  block(): this {
    this.code.push(OP.block, 0x40);
    return this;
  }
  loop(): this {
    this.code.push(OP.loop, 0x40);
    return this;
  }
  if(): this {
    this.code.push(OP.if, 0x40);
    return this;
  }
  else(): this {
    this.code.push(OP.else);
    return this;
  }
  end(): this {
    this.code.push(OP.end);
    return this;
  }
  br(depth: number): this {
    this.code.push(OP.br);
    pushU32(this.code, depth);
    return this;
  }
  brIf(depth: number): this {
    this.code.push(OP.brIf);
    pushU32(this.code, depth);
    return this;
  }

  /**
   * A loop that exits when `exitWhen` pushes a nonzero i32, tested before each pass of `body`:
   * `block loop exitWhen br_if 1 body br 0 end end`. Helpers nested in `body` open their own
   * blocks, so no depth is ever counted by hand.
   */
  loopUntil(exitWhen: () => void, body: () => void): this {
    this.block().loop();
    exitWhen();
    this.brIf(1);
    body();
    return this.br(0).end().end();
  }
  /**
   * A loop that runs `body` once, then again while `again` pushes a nonzero i32 (a do-while, for
   * loops whose count is known to be at least one): `loop body again br_if 0 end`.
   */
  doWhile(body: () => void, again: () => void): this {
    this.loop();
    body();
    again();
    return this.brIf(0).end();
  }
  /**
   * `for (; counter < end; counter += step) body()` over i32 locals, compared unsigned; the
   * counter starts where it is (locals start at 0; set it before for another start).
   */
  forRange(counter: number, end: number, step: number, body: () => void): this {
    return this.loopUntil(
      () => this.get(counter).get(end).op(OP.i32GeU),
      () => {
        body();
        this.get(counter).i32(step).op(OP.i32Add).set(counter);
      },
    );
  }
  /**
   * `forRange` over `end` in passes of `unroll` (a power of two) while whole passes fit, then one
   * at a time: `body(count)` emits `count` items at `counter`, `counter + 1`, ….
   */
  forRangeUnrolled(counter: number, end: number, unroll: number, body: (count: number) => void): this {
    if (unroll > 1) {
      const whole = this.local(T.i32);
      this.get(end).i32(-unroll).op(OP.i32And).set(whole);
      this.forRange(counter, whole, unroll, () => body(unroll));
    }
    return this.forRange(counter, end, 1, () => body(1));
  }
  /** `if then [else otherwise] end` on the i32 the caller pushed just before. */
  ifElse(then: () => void, otherwise?: () => void): this {
    this.if();
    then();
    if (otherwise) {
      this.else();
      otherwise();
    }
    return this.end();
  }

  /** The encoded body: local declarations (run-length grouped), instructions, final `end`. */
  encode(): number[] {
    const body: number[] = [];
    const groups: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    pushU32(body, groups.length);
    for (const [count, type] of groups) {
      pushU32(body, count);
      body.push(type);
    }
    // Loops, not spread: spreading a long array into push() can overflow the call stack.
    for (const b of this.code) body.push(b);
    body.push(OP.end);
    const out: number[] = [];
    pushU32(out, body.length);
    for (const b of body) out.push(b);
    return out;
  }
}

function pushName(out: number[], name: string): void {
  const bytes = new TextEncoder().encode(name);
  pushU32(out, bytes.length);
  out.push(...bytes);
}

function pushSection(out: number[], id: number, content: number[]): void {
  out.push(id);
  pushU32(out, content.length);
  for (const b of content) out.push(b);
}

/**
 * Collects exported functions and one exported memory, and serialises the module. With
 * `sharedMaxPages` the memory is not defined but imported as `env.memory`, shared with that
 * maximum (threads require both: a shared memory must declare a maximum), and re-exported.
 */
export class ModuleBuilder {
  private readonly functions: { name: string; fn: FunctionBuilder }[] = [];

  /** `importMemory`: import a plain (unshared) `env.memory` instead of defining one (modules compiled later over an instance's memory). */
  constructor(
    private readonly initialPages: number,
    private readonly sharedMaxPages?: number,
    private readonly importMemory = false,
  ) {}

  /** Adds `fn` exported as `name`; returns its function index. */
  add(name: string, fn: FunctionBuilder): number {
    this.functions.push({ name, fn });
    return this.functions.length - 1;
  }

  bytes(): Uint8Array {
    const types: string[] = [];
    const typeIndex = (fn: FunctionBuilder): number => {
      const key = `${fn.params.join(',')}:${fn.results.join(',')}`;
      let i = types.indexOf(key);
      if (i < 0) i = types.push(key) - 1;
      return i;
    };
    const fnTypes = this.functions.map(({ fn }) => typeIndex(fn));

    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const typeSec: number[] = [];
    pushU32(typeSec, types.length);
    for (const key of types) {
      const [ps, rs] = key.split(':') as [string, string];
      const params = ps ? ps.split(',').map(Number) : [];
      const results = rs ? rs.split(',').map(Number) : [];
      typeSec.push(0x60);
      pushU32(typeSec, params.length);
      typeSec.push(...params);
      pushU32(typeSec, results.length);
      typeSec.push(...results);
    }
    pushSection(out, 1, typeSec);

    if (this.importMemory && this.sharedMaxPages === undefined) {
      // (import "env" "memory" (memory initial)): limits flag 0x00, no maximum, not shared.
      const importSec: number[] = [1];
      pushName(importSec, 'env');
      pushName(importSec, 'memory');
      importSec.push(0x02, 0x00);
      pushU32(importSec, this.initialPages);
      pushSection(out, 2, importSec);
    }
    if (this.sharedMaxPages !== undefined) {
      // One import: (import "env" "memory" (memory initial max shared)); limits flag 0x03 =
      // has-maximum | shared. Imports precede the function section and take no function index.
      const importSec: number[] = [1];
      pushName(importSec, 'env');
      pushName(importSec, 'memory');
      importSec.push(0x02, 0x03);
      pushU32(importSec, this.initialPages);
      pushU32(importSec, this.sharedMaxPages);
      pushSection(out, 2, importSec);
    }

    const funcSec: number[] = [];
    pushU32(funcSec, fnTypes.length);
    for (const t of fnTypes) pushU32(funcSec, t);
    pushSection(out, 3, funcSec);

    if (this.sharedMaxPages === undefined && !this.importMemory) {
      const memSec: number[] = [1, 0x00];
      pushU32(memSec, this.initialPages);
      pushSection(out, 5, memSec);
    }

    const exportSec: number[] = [];
    pushU32(exportSec, this.functions.length + 1);
    pushName(exportSec, 'memory');
    exportSec.push(0x02, 0x00);
    this.functions.forEach(({ name }, i) => {
      pushName(exportSec, name);
      exportSec.push(0x00);
      pushU32(exportSec, i);
    });
    pushSection(out, 7, exportSec);

    const codeSec: number[] = [];
    pushU32(codeSec, this.functions.length);
    for (const { fn } of this.functions) for (const b of fn.encode()) codeSec.push(b);
    pushSection(out, 10, codeSec);
    return new Uint8Array(out);
  }
}
