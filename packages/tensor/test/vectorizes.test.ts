// The WASM backend's `fused.vectorizes` is decided node by node (FusedKernels.vectorizes): eager
// fusion (core/deferred.ts) checks each deferred operation over its inputs alone, each taken-in
// expression standing as one operand of its dtype. This checks that on random expressions: where
// every expression an expression's root reads vectorizes, the whole one vectorizes exactly when
// its root does over operands of its arguments' dtypes.
import { describe, expect, it } from 'vitest';
import type { BinaryKernel, FusedNode, UnaryKernel } from '../src/backend/backend.js';
import type { DType } from '../src/dtype.js';
import { simdDType } from '../src/backend/wasm/fused-kernels.js';
import { SIMD_BINARY } from '../src/backend/wasm/map-kernels.js';
import { SIMD_COMPARISON } from '../src/backend/wasm/mask-kernels.js';
import { announceSeed, fc, runs } from '../../../test/support/properties.js';

announceSeed('vectorizes');

const vectorizes = (nodes: readonly FusedNode[]): boolean => simdDType({ nodes }) !== null;

// Mostly float32, so that valid expressions of several nodes are common; the others must be refused.
const dtype = fc.oneof(
  { arbitrary: fc.constant<DType>('float32'), weight: 12 },
  { arbitrary: fc.constantFrom<DType>('float64', 'bool', 'int32'), weight: 1 },
);
const unaryKernel = fc.constantFrom<UnaryKernel>('neg', 'abs', 'sqrt', 'exp', 'tanh', 'sigmoid', 'sin');
const binaryKernel = fc.constantFrom<BinaryKernel>(...SIMD_BINARY, ...SIMD_COMPARISON, 'pow');

type Spec =
  | { kind: 'operand'; dtype: DType }
  | { kind: 'unary'; kernel: UnaryKernel; native: boolean; dtype: DType; a: number }
  | { kind: 'binary'; kernel: BinaryKernel; dtype: DType; a: number; b: number }
  | { kind: 'where'; dtype: DType; a: number; b: number; c: number };

/** One node over earlier ones (its numbers pick among them), of every kind the fused kernels see. */
const nodeSpec: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ kind: fc.constant('operand' as const), dtype }),
  fc.record({ kind: fc.constant('unary' as const), kernel: unaryKernel, native: fc.boolean(), dtype, a: fc.nat() }),
  fc.record({ kind: fc.constant('binary' as const), kernel: binaryKernel, dtype, a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('where' as const), dtype, a: fc.nat(), b: fc.nat(), c: fc.nat() }),
);

/** The nodes as an expression: arguments index earlier nodes (node 0 is always an operand). */
function build(specs: readonly Spec[]): FusedNode[] {
  const nodes: FusedNode[] = [];
  let operands = 0;
  for (const s of specs) {
    const pick = (k: number): number => k % nodes.length;
    if (nodes.length === 0 || s.kind === 'operand') {
      nodes.push({ kind: 'operand', index: operands++, dtype: nodes.length === 0 ? 'float32' : s.dtype });
      continue;
    }
    if (s.kind === 'unary') nodes.push({ kind: 'unary', kernel: s.kernel, native: s.native, dtype: s.dtype, args: [pick(s.a)] });
    else if (s.kind === 'binary') nodes.push({ kind: 'binary', kernel: s.kernel, dtype: s.dtype, args: [pick(s.a), pick(s.b)] });
    else nodes.push({ kind: 'where', dtype: s.dtype, args: [pick(s.a), pick(s.b), pick(s.c)] });
  }
  return nodes;
}

/** The nodes the expression rooted at node `root` reads (renumbered, in order). */
function subexpression(nodes: readonly FusedNode[], root: number): FusedNode[] {
  const keep = new Set<number>();
  const mark = (k: number): void => {
    if (keep.has(k)) return;
    keep.add(k);
    const n = nodes[k]!;
    if (n.kind !== 'operand') for (const a of n.args) mark(a);
  };
  mark(root);
  const order = [...keep].sort((x, y) => x - y);
  const at = new Map(order.map((k, i) => [k, i]));
  return order.map((k) => {
    const n = nodes[k]!;
    return n.kind === 'operand' ? n : ({ ...n, args: n.args.map((a) => at.get(a)!) } as unknown as FusedNode);
  });
}

describe('the WASM fused kernels’ vectorizes', () => {
  it('is decided node by node, as eager fusion checks it', () => {
    let compared = 0;
    fc.assert(
      fc.property(fc.array(nodeSpec, { minLength: 2, maxLength: 12 }), (specs) => {
        // Only what the root reads: an eager expression has no other nodes.
        const built = build(specs);
        const nodes = subexpression(built, built.length - 1);
        const root = nodes[nodes.length - 1]!;
        if (root.kind === 'operand') return;
        // The precondition eager fusion meets: every expression the root reads was deferred, so vectorizes.
        if (!root.args.every((a) => nodes[a]!.kind === 'operand' || vectorizes(subexpression(nodes, a)))) return;
        const alone: FusedNode[] = root.args.map((a, index) => ({ kind: 'operand', index, dtype: nodes[a]!.dtype }));
        alone.push({ ...root, args: root.args.map((_, k) => k) } as unknown as FusedNode);
        compared++;
        expect(vectorizes(alone), JSON.stringify(nodes)).toBe(vectorizes(nodes));
      }),
      { numRuns: runs(2000) },
    );
    // The precondition must not have filtered everything out.
    expect(compared).toBeGreaterThan(100);
  });
});
