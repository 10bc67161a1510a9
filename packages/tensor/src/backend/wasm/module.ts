// Assembles the kernel module: GEMM packers and macro-kernels for both element types (and a
// narrow f32 tile) plus every kernel family of kernel-families.ts. Built at run time: no build step, no binary blob.
import { ModuleBuilder } from './emitter.js';
import { emitKernelFamilies } from './kernel-families.js';
import { emitCompact, emitMacro, emitPack, nrOf, type GemmShape } from './matmul-kernels.js';

// Register tiles chosen by measurement on x64 V8: 4×8 f32 (8 accumulators + 2 B vectors + 1
// splat fit in the 15 allocatable xmm registers; 6×8 and 4×12 measured slower) and 4×4 f64.
// Unrolling the depth loop measured slower than none (more live ranges for the allocator).
export const GEMM_F32: GemmShape = { esize: 4, mr: 4, nrVecs: 2, unroll: 1 };
export const GEMM_F64: GemmShape = { esize: 8, mr: 4, nrVecs: 2, unroll: 1 };
/**
 * The f32 tile for products at most 4 columns wide (classifier heads and their gradients): 8×4,
 * one vector per row, so n = 3 wastes a quarter of the tile instead of 5/8 of 4×8's, and eight
 * accumulators still hide the add latency (a 4×4 tile would wait on its four).
 */
export const GEMM_F32_NARROW: GemmShape = { esize: 4, mr: 8, nrVecs: 1, unroll: 1 };

/** Pages (64 KiB) of a shared memory's declared maximum: the whole 32-bit address space. */
export const SHARED_MAX_PAGES = 65536;

/**
 * Builds the module; `fma` selects relaxed_madd in the macro-kernels (feature-detected). With
 * `sharedMaxPages` the module imports a shared `env.memory` of that maximum instead of owning
 * one, so that worker threads can instantiate the same bytes over the same memory.
 */
export function buildKernelModule(fma: boolean, f32: GemmShape = GEMM_F32, f64: GemmShape = GEMM_F64, sharedMaxPages?: number): Uint8Array {
  const mod = new ModuleBuilder(16, sharedMaxPages);
  for (const [tag, g] of [
    ['f32', f32],
    ['f64', f64],
    ['f32_narrow', GEMM_F32_NARROW],
  ] as const) {
    emitPack(mod, `pack_a_${tag}`, g.esize, g.mr);
    emitPack(mod, `pack_b_${tag}`, g.esize, nrOf(g));
    emitMacro(mod, `macro_${tag}`, g, fma);
    emitMacro(mod, `macro_set_${tag}`, g, fma, true);
    if (g.unroll === 1) emitMacro(mod, `macro_set_strided_a_${tag}`, g, fma, true, true);
  }
  emitCompact(mod, 'compact');
  emitKernelFamilies(mod);
  return mod.bytes();
}
