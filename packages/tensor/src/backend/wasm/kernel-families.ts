// The WASM backend's kernel families, one typed entry each: the exports it adds to the kernel
// module (every variant, its export name and its emitter, side by side) and the size from which
// it beats the JS loop, with the measurement that chose it. module.ts emits every entry, the
// backend (index.ts) names kernels and checks sizes only through this table, and the test suite
// keeps one row per family (test/kernel-families.test.ts), keyed by FamilyName.
import type { FloatDType } from '../../dtype.js';
import type { ModuleBuilder } from './emitter.js';
import { emitCumsum, emitScatterAddRows } from './accumulation-kernels.js';
import {
  APPROXIMATE_F32,
  APPROXIMATION_UNROLL,
  BINARY_OPS,
  EMIT_APPROXIMATE_F32,
  EXACT_UNARY_OPS,
  SIMD_BINARY,
  SIMD_EXACT_UNARY,
  emitMap,
  emitReduceRows,
  emitWhere,
  emitWidenedMap,
  type ApproximateF32,
  type SimdBinary,
} from './map-kernels.js';
import { COMPARISON_OPS, SIMD_COMPARISON, emitCompareToMask, emitWhereOnMask, type SimdComparison } from './mask-kernels.js';
import { emitFoldRuns, emitUnfoldRuns } from './window-kernels.js';
import { RANGE_LIMITED, TRIG_REDUCTION_LIMIT, WIDE_F32, type WideKernel } from './wide-math.js';

/** How the operands of a two-operand kernel are passed: two vectors, or one of them a scalar splatted once. */
export type OperandMode = 'vv' | 'vs' | 'sv';
/** The exact unary ops (both dtypes). */
export type ExactUnary = (typeof SIMD_EXACT_UNARY)[number];
/** The reductions along contiguous rows. */
export type RowReduction = 'sum' | 'max';

const MODES: readonly OperandMode[] = ['vv', 'vs', 'sv'];
const DTYPES: readonly FloatDType[] = ['float32', 'float64'];
const tag = (dtype: FloatDType): 'f32' | 'f64' => (dtype === 'float64' ? 'f64' : 'f32');
const esize = (dtype: FloatDType): 4 | 8 => (dtype === 'float64' ? 8 : 4);
const lane = (dtype: FloatDType): 0 | 1 => (dtype === 'float64' ? 1 : 0);

/** Every tuple of one element from each list, in order (the variants of a family). */
function product<const L extends readonly (readonly unknown[])[]>(...lists: L): { [K in keyof L]: L[K][number] }[] {
  let out: unknown[][] = [[]];
  for (const list of lists) out = out.flatMap((prefix) => list.map((x) => [...prefix, x]));
  return out as { [K in keyof L]: L[K][number] }[];
}

/** The size from which a family runs in WASM; below it the fallback's JS loop is faster. */
export interface Threshold {
  /** The smallest count (of what `counts` says) that runs in WASM. */
  readonly from: number;
  /** What is counted. */
  readonly counts: string;
  /** The measurement that chose `from` (machine, Node version, ratios), or why it has none of its own. */
  readonly measured: string;
}

/** A family's exports of the shared kernel module: every variant, its export name, and the emitter of one variant. */
export interface ModuleKernels<V extends readonly unknown[]> {
  readonly variants: readonly V[];
  readonly name: (...variant: V) => string;
  readonly emit: (mod: ModuleBuilder, name: string, ...variant: V) => void;
}

/** One kernel family: what it computes, its threshold, and its kernels. */
export interface KernelFamily<V extends readonly unknown[]> {
  readonly summary: string;
  readonly threshold: Threshold;
  /** Its exports of the shared module; null for a family compiled per call (one small module per fused expression). */
  readonly kernels: ModuleKernels<V> | null;
}

/** The variant tuple of each family: adding a family here makes the compiler ask for its table entry and its test row. */
export interface FamilyVariants {
  binary: readonly [op: SimdBinary, mode: OperandMode, dtype: FloatDType];
  comparison: readonly [op: SimdComparison, mode: OperandMode, dtype: FloatDType];
  where: readonly [condition: 'float' | 'mask', mode: OperandMode, dtype: FloatDType];
  exactUnary: readonly [op: ExactUnary, dtype: FloatDType];
  approximateUnary: readonly [op: ApproximateF32];
  wideUnary: readonly [op: WideKernel];
  reduceRows: readonly [op: RowReduction, dtype: FloatDType];
  cumsum: readonly [dtype: FloatDType];
  scatterAdd: readonly [dtype: FloatDType];
  windows: readonly ['unfold'] | readonly ['fold', FloatDType];
  fused: readonly [];
}

/** A kernel family's key. */
export type FamilyName = keyof FamilyVariants;

// Measured for the maps below on a 2-core Xeon, Node 20, best of 7 × 40,000 calls of one
// contiguous float32 operation against the JS kernel, with kernels found once per variant.
const MAP_MEASUREMENT = '2-core Xeon, Node 20, JS/WASM time';

/** Every kernel family of the WASM backend. */
export const KERNEL_FAMILIES: { readonly [F in FamilyName]: KernelFamily<FamilyVariants[F]> } = {
  binary: {
    summary: 'add, sub, mul, div, maximum of float vectors (exact IEEE instructions), a scalar operand splatted',
    threshold: {
      from: 128,
      counts: 'output elements',
      measured: `add and mul break even near 96-128 elements (${MAP_MEASUREMENT}: 0.9× at 96, 1.1-1.2× at 128, 1.8× at 256)`,
    },
    kernels: {
      variants: product(SIMD_BINARY, MODES, DTYPES),
      name: (op, mode, dtype) => `bin_${op}_${mode}_${tag(dtype)}`,
      emit: (mod, name, op, mode, dtype) =>
        emitMap(mod, name, esize(dtype), mode, (f, [a, b]) => void f.get(a!).get(b!).simd(BINARY_OPS[op][lane(dtype)])),
    },
  },
  comparison: {
    summary: 'comparisons of float vectors into bool masks, 16 elements a block',
    threshold: {
      from: 128,
      counts: 'output elements',
      measured: `greater breaks even near 96 elements (${MAP_MEASUREMENT}: 1.0× at 96, 1.3× at 128)`,
    },
    kernels: {
      variants: product(SIMD_COMPARISON, MODES, DTYPES),
      name: (op, mode, dtype) => `cmp_${op}_${mode}_${tag(dtype)}`,
      emit: (mod, name, op, mode, dtype) => emitCompareToMask(mod, name, esize(dtype), mode, COMPARISON_OPS[op][lane(dtype)]),
    },
  },
  where: {
    summary: '`where` on a condition of the branches’ float dtype or on a bool mask, by bit selects',
    threshold: {
      from: 64,
      counts: 'output elements',
      measured: `on a bool mask, faster from 64 elements on (${MAP_MEASUREMENT}: 1.35× at 64, 2.1× at 128)`,
    },
    kernels: {
      variants: product(['float', 'mask'] as const, MODES, DTYPES),
      name: (condition, mode, dtype) => `${condition === 'mask' ? 'where_mask' : 'where'}_${mode}_${tag(dtype)}`,
      emit: (mod, name, condition, mode, dtype) =>
        condition === 'mask' ? emitWhereOnMask(mod, name, esize(dtype), mode) : emitWhere(mod, name, esize(dtype), mode),
    },
  },
  exactUnary: {
    summary: 'neg, abs, sqrt (exact instructions) in both dtypes',
    threshold: {
      from: 192,
      counts: 'elements',
      measured: `neg breaks even near 160-192 elements (${MAP_MEASUREMENT}: 0.8× at 128, 1.1× at 192, 1.25× at 256)`,
    },
    kernels: {
      variants: product(SIMD_EXACT_UNARY, DTYPES),
      name: (op, dtype) => `un_${op}_${tag(dtype)}`,
      emit: (mod, name, op, dtype) =>
        emitMap(mod, name, esize(dtype), 'v', (f, [x]) => void f.get(x!).simd(EXACT_UNARY_OPS[op][lane(dtype)])),
    },
  },
  approximateUnary: {
    summary: 'exp, log, sigmoid, tanh of float32 in float32 lanes (polynomial approximations: native, not the reference functions)',
    threshold: { from: 64, counts: 'elements', measured: 'tanh/exp break even near 32-64 elements (2-core Xeon, Node 20)' },
    kernels: {
      variants: product(APPROXIMATE_F32),
      name: (op) => `un_${op}_f32`,
      emit: (mod, name, op) => emitMap(mod, name, 4, 'v', (f, [x]) => EMIT_APPROXIMATE_F32[op](f, x!), APPROXIMATION_UNROLL),
    },
  },
  wideUnary: {
    summary:
      'the other float32 functions in float64 lanes, within 1 ulp of float32(Math.f); trigonometric lanes beyond the reduction range are flagged and redone in JS',
    threshold: {
      from: 128,
      counts: 'elements',
      measured: 'break even between 64 and 128 elements (2-core AMD EPYC, Node 20: 0.8-1.2× at 64, 1.2-1.6× at 128, 1.7-2.4× at 256)',
    },
    kernels: {
      variants: product(Object.keys(WIDE_F32) as WideKernel[]),
      name: (op) => `wide_${op}_f32`,
      emit: (mod, name, op) => emitWidenedMap(mod, name, WIDE_F32[op], RANGE_LIMITED.has(op) ? TRIG_REDUCTION_LIMIT : Infinity),
    },
  },
  reduceRows: {
    summary: 'sum and max of contiguous rows (a trailing run of axes), float32 sums in float64 lanes; column sums reuse the binary add',
    threshold: { from: 128, counts: 'input elements', measured: 'a full sum breaks even near 64-128 elements (2-core Xeon, Node 20)' },
    kernels: {
      variants: product(['sum', 'max'] as const, DTYPES),
      name: (op, dtype) => `red_${op}_${tag(dtype)}`,
      emit: (mod, name, op, dtype) => emitReduceRows(mod, name, esize(dtype), op),
    },
  },
  cumsum: {
    summary: 'running sums along an axis, in the JS kernel’s order (float64 sums)',
    threshold: { from: 128, counts: 'elements', measured: 'a running sum breaks even near 128 elements (2-core AMD EPYC, Node 20)' },
    kernels: {
      variants: product(DTYPES),
      name: (dtype) => `cumsum_${tag(dtype)}`,
      emit: (mod, name, dtype) => emitCumsum(mod, name, esize(dtype)),
    },
  },
  scatterAdd: {
    summary:
      'scatter-add of gradient rows into one accumulator row per distinct index (only for wide or repeated rows; see scatterAdd in index.ts)',
    threshold: {
      from: 512,
      counts: 'gradient elements',
      measured:
        'below it the JS loop wins (no figure kept); the row-width rule beside it: 1.2× at width 128 with distinct rows, 3.6-5× with rows repeated 4× or more, 0.8× at width 16',
    },
    kernels: {
      variants: product(DTYPES),
      name: (dtype) => `scatter_add_${tag(dtype)}`,
      emit: (mod, name, dtype) => emitScatterAddRows(mod, name, esize(dtype)),
    },
  },
  windows: {
    summary: 'unfold (im2col, a byte copy for both dtypes) and fold (col2im, vector adds) with unit column stride, by a table of runs',
    threshold: {
      from: 4096,
      counts: 'column elements (planes × kernel taps × output positions)',
      measured: 'below it the JS loop wins (no figure kept)',
    },
    kernels: {
      variants: [['unfold'], ['fold', 'float32'], ['fold', 'float64']],
      name: (...v) => (v[0] === 'unfold' ? 'unfold_runs' : `fold_runs_${tag(v[1])}`),
      emit: (mod, name, ...v) => (v[0] === 'unfold' ? emitUnfoldRuns(mod, name) : emitFoldRuns(mod, name, esize(v[1]))),
    },
  },
  fused: {
    summary:
      'jit’s fused elementwise expressions: one vector loop per expression and operand layout, compiled per call into a small module (fused-kernels.ts)',
    threshold: {
      from: 384,
      counts: 'output elements',
      measured:
        'a four-operation chain breaks even between 256 and 512 elements (2-core AMD EPYC under load, Node 20: JS/SIMD 0.8-1.05× at 256, 1.8-2.2× at 512, 2.6-4.8× at 2400)',
    },
    kernels: null,
  },
};

/** The export name of one kernel: `kernelName('binary', 'add', 'vv', 'float32')`. */
export function kernelName<F extends FamilyName>(family: F, ...variant: FamilyVariants[F]): string {
  const kernels = KERNEL_FAMILIES[family].kernels as ModuleKernels<FamilyVariants[F]> | null;
  if (kernels === null) throw new Error(`wasm backend: the ${family} family has no module kernels`);
  return kernels.name(...variant);
}

/** One level of {@link kernelLookup}'s table: the kernel of the variant so far, and the next component. */
interface VariantTrie<K> {
  kernel?: K;
  readonly next: Map<unknown, VariantTrie<K>>;
}

/**
 * `kernel(family, ...variant)`: the module's export of that kernel, got from `exportNamed` at its
 * first use and then from a table keyed by the variant's components. NOTE: building a kernel's
 * name and looking it up among the exports on every call costs as much as a small kernel's work.
 */
export function kernelLookup<K>(exportNamed: (name: string) => K): <F extends FamilyName>(family: F, ...variant: FamilyVariants[F]) => K {
  const root: VariantTrie<K> = { next: new Map() };
  const child = (node: VariantTrie<K>, key: unknown): VariantTrie<K> => {
    let next = node.next.get(key);
    if (next === undefined) {
      next = { next: new Map() };
      node.next.set(key, next);
    }
    return next;
  };
  return (family, ...variant) => {
    let node = child(root, family);
    for (const key of variant) node = child(node, key);
    node.kernel ??= exportNamed(kernelName(family, ...variant));
    return node.kernel;
  };
}

/** Every module kernel of `family` by export name. */
export function familyKernels(family: FamilyName): string[] {
  const kernels = KERNEL_FAMILIES[family].kernels as ModuleKernels<readonly unknown[]> | null;
  return kernels === null ? [] : kernels.variants.map((v) => kernels.name(...v));
}

/** Emits every family's module kernels into `mod`. */
export function emitKernelFamilies(mod: ModuleBuilder): void {
  for (const family of Object.keys(KERNEL_FAMILIES) as FamilyName[]) {
    const kernels = KERNEL_FAMILIES[family].kernels as ModuleKernels<readonly unknown[]> | null;
    if (kernels === null) continue;
    for (const v of kernels.variants) kernels.emit(mod, kernels.name(...v), ...v);
  }
}
