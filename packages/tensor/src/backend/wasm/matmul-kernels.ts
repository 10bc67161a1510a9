// WASM code generation for the blocked GEMM: a panel packer and a register-tiled macro-kernel
// (MR rows × NR columns of accumulators in v128 locals), parametrised by element type.
import { FunctionBuilder, OP, SIMD, T, type ModuleBuilder } from './emitter.js';

/** The register tile and element type of one GEMM variant. */
export interface GemmShape {
  /** Bytes per element: 4 (f32x4) or 8 (f64x2). */
  readonly esize: 4 | 8;
  /** Rows of the register tile (rows of an A micro-panel). */
  readonly mr: number;
  /** v128 vectors per tile row; NR = nrVecs * lanes columns (columns of a B micro-panel). */
  readonly nrVecs: number;
  /** k-steps unrolled per loop trip; packed depths are padded with zeros to a multiple of it. */
  readonly unroll: number;
}

export const lanesOf = (g: GemmShape): number => 16 / g.esize;
export const nrOf = (g: GemmShape): number => g.nrVecs * lanesOf(g);

/**
 * Byte selectors of `i8x16.shuffle` that transpose an L×L block of lanes (L = 16 / esize) held in
 * L vectors, in two rounds of pairwise interleaves: `rounds[k][j]` is [left, right, selectors]
 * over round k's inputs, giving its output j. (4×4 f32: unpacklo/hi, then movlhps/movhlps.)
 */
function transposeRounds(esize: 4 | 8): [number, number, number[]][][] {
  const bytes = (lanes: number[]): number[] => lanes.flatMap((l) => Array.from({ length: esize }, (_, b) => l * esize + b));
  if (esize === 8) return [[[0, 1, bytes([0, 2])], [0, 1, bytes([1, 3])]]];
  return [
    [
      [0, 1, bytes([0, 4, 1, 5])],
      [0, 1, bytes([2, 6, 3, 7])],
      [2, 3, bytes([0, 4, 1, 5])],
      [2, 3, bytes([2, 6, 3, 7])],
    ],
    [
      [0, 2, bytes([0, 1, 4, 5])],
      [0, 2, bytes([2, 3, 6, 7])],
      [1, 3, bytes([0, 1, 4, 5])],
      [1, 3, bytes([2, 3, 6, 7])],
    ],
  ];
}

/**
 * `pack(src, si, sp, rows, depth, dst, depthPad)`: copies the `rows × depth` strided block
 * (element `(i, p)` at `src + (i*si + p*sp)*esize`, strides in elements, possibly 0 or negative)
 * into panels of `r` rows: panel `q` holds rows `q*r..q*r+r-1` as `depthPad` groups of `r`
 * consecutive elements. Rows past `rows` and depths past `depth` are zero, so the
 * micro-kernel never needs edge cases: padding contributes exact zeros to the sums.
 * Full panels take vector paths: whole-vector copies when the panel's rows are adjacent (si = 1:
 * a row-major B, a transposed A), in-register transposes of L×L blocks when each row's depths
 * are adjacent (sp = 1: a row-major A, a transposed B); the rest goes element by element.
 */
export function emitPack(mod: ModuleBuilder, name: string, esize: 4 | 8, r: number): void {
  const f = new FunctionBuilder([T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], []);
  const [src, si, sp, rows, depth, dst, depthPad] = [0, 1, 2, 3, 4, 5, 6];
  const i = f.local(T.i32);
  const s = f.local(T.i32);
  const d = f.local(T.i32);
  const dEnd = f.local(T.i32);
  const spB = f.local(T.i32);
  const panelB = f.local(T.i32);
  const load = esize === 4 ? OP.f32Load : OP.f64Load;
  const store = esize === 4 ? OP.f32Store : OP.f64Store;
  const align = esize === 4 ? 2 : 3;
  const lanes = 16 / esize;

  f.get(depthPad).i32(r * esize).op(OP.i32Mul).set(panelB); // bytes per panel
  // Zero what the loops below leave unwritten: everything when the depth is padded, else only
  // the rows past `rows` in the last panel (the whole panel, one fill).
  f.get(depth).get(depthPad).op(OP.i32Ne).if();
  f.get(dst).i32(0);
  f.get(rows).i32(r - 1).op(OP.i32Add).i32(r).op(OP.i32DivU).get(panelB).op(OP.i32Mul).memoryFill();
  f.else();
  f.get(rows).i32(r).op(OP.i32RemU).if();
  f.get(dst).get(rows).i32(r).op(OP.i32DivU).get(panelB).op(OP.i32Mul, OP.i32Add).i32(0).get(panelB).memoryFill();
  f.end();
  f.end();
  f.get(sp).i32(esize).op(OP.i32Mul).set(spB);

  // The transposing path's row offsets (j · si bytes), fixed for the call.
  const transposing = r % lanes === 0;
  const rowOff = transposing ? Array.from({ length: r }, () => f.local(T.i32)) : [];
  const vin = transposing ? Array.from({ length: lanes }, () => f.local(T.v128)) : [];
  const vmid = transposing ? Array.from({ length: lanes }, () => f.local(T.v128)) : [];
  const dBlockEnd = f.local(T.i32);
  for (let j = 0; j < rowOff.length; j++) f.get(si).i32(j * esize).op(OP.i32Mul).set(rowOff[j]!);
  // The depth loops of one panel row: until d reaches its end, one source depth step per pass.
  const untilPanelEnd = (): void => void f.get(d).get(dEnd).op(OP.i32Eq);
  const nextDepth = (): void => {
    f.get(s).get(spB).op(OP.i32Add).set(s);
    f.get(d).i32(r * esize).op(OP.i32Add).set(d);
  };

  f.loopUntil(
    () => f.get(i).get(rows).op(OP.i32GeU),
    () => {
      // Panel start for row i: (i / r) * panelBytes + (i % r) * esize.
      f.get(dst).get(i).i32(r).op(OP.i32DivU).get(panelB);
      f.op(OP.i32Mul, OP.i32Add).get(i).i32(r).op(OP.i32RemU).i32(esize).op(OP.i32Mul, OP.i32Add).set(d);
      f.get(src).get(i).get(si).op(OP.i32Mul).i32(esize).op(OP.i32Mul, OP.i32Add).set(s);
      f.get(d).get(depth).i32(r * esize).op(OP.i32Mul, OP.i32Add).set(dEnd);
      /** Opens an `if` taken when the path is emitted, `stride` is 1 and rows i..i+r-1 are a whole panel. */
      const ifFullPanelWithUnit = (emitted: boolean, stride: number): void => {
        if (emitted) {
          f.get(stride).i32(1).op(OP.i32Eq);
          f.get(i).i32(r).op(OP.i32Add).get(rows).op(OP.i32LeU, OP.i32And);
          f.get(i).i32(r).op(OP.i32RemU, OP.i32Eqz, OP.i32And);
        } else f.i32(0);
        f.if();
      };

      // Copy path: a unit stride along the panel rows, so every depth step is r contiguous source
      // elements, copied as whole vectors (only when a panel row is a whole number of vectors).
      ifFullPanelWithUnit((r * esize) % 16 === 0, si);
      {
        f.loopUntil(untilPanelEnd, () => {
          for (let v = 0; v < (r * esize) / 16; v++) {
            f.get(d).get(s).vmem(SIMD.load, v * 16, 0).vmem(SIMD.store, v * 16, 0);
          }
          nextDepth();
        });
        f.get(i).i32(r).op(OP.i32Add).set(i);
      }
      f.else();
      ifFullPanelWithUnit(transposing, sp);
      if (transposing) {
        // Blocks of `lanes` depths: per group of `lanes` rows, load one vector per row, transpose in
        // registers, store one vector per depth at its place in the panel.
        const rounds = transposeRounds(esize);
        f.get(d).get(depth).i32(-lanes).op(OP.i32And).i32(r * esize).op(OP.i32Mul, OP.i32Add).set(dBlockEnd);
        f.loopUntil(
          () => f.get(d).get(dBlockEnd).op(OP.i32Eq),
          () => {
            for (let g = 0; g < r / lanes; g++) {
              for (let j = 0; j < lanes; j++) f.get(s).get(rowOff[g * lanes + j]!).op(OP.i32Add).vmem(SIMD.load, 0, 0).set(vin[j]!);
              for (let k = 0; k < rounds.length - 1; k++) {
                const from = k % 2 === 0 ? vin : vmid;
                const to = k % 2 === 0 ? vmid : vin;
                rounds[k]!.forEach(([x, y, sel], j) => f.get(from[x]!).get(from[y]!).shuffle(sel).set(to[j]!));
              }
              const last = rounds.length % 2 === 1 ? vin : vmid;
              rounds[rounds.length - 1]!.forEach(([x, y, sel], p) => {
                f.get(d).get(last[x]!).get(last[y]!).shuffle(sel).vmem(SIMD.store, (p * r + g * lanes) * esize, 0);
              });
            }
            f.get(s).i32(16).op(OP.i32Add).set(s);
            f.get(d).i32(lanes * r * esize).op(OP.i32Add).set(d);
          },
        );
        // The last depth % lanes depths, element by element.
        f.loopUntil(untilPanelEnd, () => {
          for (let j = 0; j < r; j++) f.get(d).get(s).get(rowOff[j]!).op(OP.i32Add).mem(load, 0, align).mem(store, j * esize, align);
          nextDepth();
        });
        f.get(i).i32(r).op(OP.i32Add).set(i);
      }
      f.else();
      {
        f.loopUntil(untilPanelEnd, () => {
          f.get(d).get(s).mem(load, 0, align).mem(store, 0, align);
          nextDepth();
        });
        f.get(i).i32(1).op(OP.i32Add).set(i);
      }
      f.end();
      f.end();
    },
  );
  mod.add(name, f);
}

/**
 * `macro(ap, bp, cp, mcPad, ncPad, kcPad, ldcBytes)`: `C[mcPad × ncPad] += Ap · Bp` for packed
 * panels from `emitPack` (A with r = mr, B with r = NR) and a row-major C with row pitch
 * `ldcBytes`. The column loop is outermost so one B micro-panel (kcPad × NR) stays in L1 while
 * every A micro-panel streams past it. With `fma`, uses relaxed_madd (one rounding or two,
 * engine's choice); otherwise a separate mul and add, which is exactly what the tests expect.
 * With `overwrite`, `C = Ap · Bp` instead: the first depth block stores its sums, so C needs no
 * zeroing pass and no loads (bit for bit the same: the sums start from +0, so 0 + s is s).
 * With `stridedA` (only for `unroll` 1), A is read where it lies instead of packed:
 * `macro(a, bp, cp, mcPad, ncPad, kc, ldcBytes, aRowBytes, aColBytes)` takes element `(i, p)`
 * at `a + i*aRowBytes + p*aColBytes` (strides >= 0), for every row up to `mcPad`: the rows
 * past the real ones read whatever lies there and only fill C's padding rows.
 */
export function emitMacro(mod: ModuleBuilder, name: string, g: GemmShape, fma: boolean, overwrite = false, stridedA = false): void {
  const f = new FunctionBuilder(Array.from({ length: stridedA ? 9 : 7 }, () => T.i32), []);
  const [ap, bp, cp, mcPad, ncPad, kcPad, ldc, aRow, aCol] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const { esize, mr, nrVecs, unroll } = g;
  const nr = nrOf(g);
  const splat = esize === 4 ? SIMD.load32Splat : SIMD.load64Splat;
  const add = esize === 4 ? SIMD.f32x4Add : SIMD.f64x2Add;
  const mul = esize === 4 ? SIMD.f32x4Mul : SIMD.f64x2Mul;
  const madd = esize === 4 ? SIMD.f32x4RelaxedMadd : SIMD.f64x2RelaxedMadd;

  const aPanel = f.local(T.i32);
  const bPanel = f.local(T.i32);
  const jr = f.local(T.i32);
  const ir = f.local(T.i32);
  const api = f.local(T.i32);
  const bpj = f.local(T.i32);
  const ci = f.local(T.i32);
  const pa = f.local(T.i32);
  const pb = f.local(T.i32);
  const pEnd = f.local(T.i32);
  const acc: number[][] = [];
  for (let r = 0; r < mr; r++) acc.push(Array.from({ length: nrVecs }, () => f.local(T.v128)));
  const bv = Array.from({ length: nrVecs }, () => f.local(T.v128));
  const av = f.local(T.v128);
  const rowOff = stridedA ? Array.from({ length: mr }, () => f.local(T.i32)) : [];
  if (stridedA && unroll !== 1) throw new Error(`emitMacro: a strided A needs unroll 1, not ${unroll}`);

  if (stridedA) {
    f.get(aRow).i32(mr).op(OP.i32Mul).set(aPanel);
    for (let r = 1; r < mr; r++) f.get(aRow).i32(r).op(OP.i32Mul).set(rowOff[r]!);
  } else f.get(kcPad).i32(mr * esize).op(OP.i32Mul).set(aPanel);
  f.get(kcPad).i32(nr * esize).op(OP.i32Mul).set(bPanel);
  f.get(bp).set(bpj);
  f.i32(0).set(jr);
  /** `unroll` depth steps of the tile: B's vectors, then each row's A splat into its accumulators. */
  const depthSteps = (): void => {
    for (let u = 0; u < unroll; u++) {
      for (let v = 0; v < nrVecs; v++) f.get(pb).vmem(SIMD.load, (u * nr + v * lanesOf(g)) * esize).set(bv[v]!);
      for (let r = 0; r < mr; r++) {
        f.get(pa);
        if (stridedA && r > 0) f.get(rowOff[r]!).op(OP.i32Add);
        f.vmem(splat, stridedA ? 0 : (u * mr + r) * esize, esize === 4 ? 2 : 3).set(av);
        for (let v = 0; v < nrVecs; v++) {
          if (fma) f.get(av).get(bv[v]!).get(acc[r]![v]!).simd(madd).set(acc[r]![v]!);
          else f.get(acc[r]![v]!).get(av).get(bv[v]!).simd(mul, add).set(acc[r]![v]!);
        }
      }
    }
  };
  /** Moves both pointers on and pushes whether the depth loop goes on. */
  const nextDepthSteps = (): void => {
    if (stridedA) {
      f.get(pa).get(aCol).op(OP.i32Add).set(pa);
      f.get(pb).i32(nr * esize).op(OP.i32Add).tee(pb).get(pEnd).op(OP.i32Ne);
    } else {
      f.get(pb).i32(unroll * nr * esize).op(OP.i32Add).set(pb);
      f.get(pa).i32(unroll * mr * esize).op(OP.i32Add).tee(pa).get(pEnd).op(OP.i32Ne);
    }
  };
  /** C tile += accumulators, or = them for the first depth block. */
  const storeTile = (): void => {
    for (let r = 0; r < mr; r++) {
      for (let v = 0; v < nrVecs; v++) {
        f.get(ci);
        if (r > 0) f.get(ldc).i32(r).op(OP.i32Mul, OP.i32Add);
        if (overwrite) f.get(acc[r]![v]!).vmem(SIMD.store, v * 16);
        else f.tee(pa).get(pa).vmem(SIMD.load, v * 16).get(acc[r]![v]!).simd(add).vmem(SIMD.store, v * 16);
      }
    }
  };
  /** One row panel against the current column panel: zeroed accumulators, the depth loop, the store. */
  const rowPanel = (): void => {
    for (const row of acc) for (const a of row) f.v128I32(0).set(a);
    f.get(api).set(pa);
    // The depth loop ends on the B pointer when A's may not move (aColBytes 0: a broadcast).
    if (stridedA) f.get(bpj).tee(pb).get(bPanel).op(OP.i32Add).set(pEnd);
    else f.get(pa).get(aPanel).op(OP.i32Add).set(pEnd).get(bpj).set(pb);
    // kcPad > 0 is a multiple of unroll: at least one trip.
    f.doWhile(depthSteps, nextDepthSteps);
    storeTile();
    f.get(api).get(aPanel).op(OP.i32Add).set(api);
    f.get(ci).get(ldc).i32(mr).op(OP.i32Mul, OP.i32Add).set(ci);
    f.get(ir).i32(mr).op(OP.i32Add).set(ir);
  };

  // Column panels outermost, then row panels.
  f.loopUntil(
    () => f.get(jr).get(ncPad).op(OP.i32GeU),
    () => {
      f.get(ap).set(api);
      f.get(cp).get(jr).i32(esize).op(OP.i32Mul, OP.i32Add).set(ci);
      f.i32(0).set(ir);
      f.loopUntil(() => f.get(ir).get(mcPad).op(OP.i32GeU), rowPanel);
      f.get(bpj).get(bPanel).op(OP.i32Add).set(bpj);
      f.get(jr).i32(nr).op(OP.i32Add).set(jr);
    },
  );
  mod.add(name, f);
}

/**
 * `compact(dst, src, rows, rowBytes, pitchBytes)`: moves `rows` rows of `rowBytes` bytes from
 * `src` (row `i` at `src + i*pitchBytes`) to consecutive rows at `dst`, in ascending order, so
 * that `dst <= src` and `rowBytes <= pitchBytes` may overlap (the padded C becomes the output's
 * layout in place, and leaves memory with one bulk copy). Whole vectors only: a row's last
 * vector may run past `rowBytes`, onto the next destination row (written over next) or, after
 * the last row, onto the source's padding. NOTE: safe because `pitchBytes` is a whole number of
 * vectors, so row i's rounded-up end `dst + i·rowBytes + ⌈rowBytes⌉₁₆` never passes the start
 * of source row i+1, `src + (i+1)·pitchBytes`. (The scalar tail it replaces was ~8% of a
 * 150×16×3 product.)
 */
export function emitCompact(mod: ModuleBuilder, name: string): void {
  const f = new FunctionBuilder([T.i32, T.i32, T.i32, T.i32, T.i32], []);
  const [dst, src, rows, rowBytes, pitch] = [0, 1, 2, 3, 4];
  const i = f.local(T.i32);
  const j = f.local(T.i32);
  const vecEnd = f.local(T.i32);
  const d = f.local(T.i32);
  const s = f.local(T.i32);
  f.get(rowBytes).i32(15).op(OP.i32Add).i32(-16).op(OP.i32And).set(vecEnd);
  f.forRange(i, rows, 1, () => {
    f.get(dst).get(i).get(rowBytes).op(OP.i32Mul, OP.i32Add).set(d);
    f.get(src).get(i).get(pitch).op(OP.i32Mul, OP.i32Add).set(s);
    f.i32(0).set(j);
    f.forRange(j, vecEnd, 16, () => {
      f.get(d).get(j).op(OP.i32Add).get(s).get(j).op(OP.i32Add).vmem(SIMD.load, 0, 2).vmem(SIMD.store, 0, 2);
    });
  });
  mod.add(name, f);
}
