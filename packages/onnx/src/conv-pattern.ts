// A convolution as jacobi traces it (groups = 1): unfold → reshape to [N, C·kH·kW, L] → matmul
// by the weight [O, C·kH·kW] (broadcast to the batch at trace time) → reshape to [N, O, oH, oW].
// Written as one ONNX Conv instead of the generic Gather im2col and MatMul: the same values,
// and the engines' convolution kernels.
import type { ProgramEquation, ProgramView, Tensor } from '@jacobi/tensor';
import type { WindowGeometry } from '@jacobi/tensor';
import { windowReach } from './params.js';

/** A recognised convolution: the equations it replaces and what Conv needs. */
export interface ConvMatch {
  /** Indices of the unfold, reshape, matmul and final reshape equations. */
  readonly equations: readonly [number, number, number, number];
  /** The weight as Conv wants it, [O, C, kH, kW]. */
  readonly weight: Tensor;
  readonly geometry: WindowGeometry;
  /** Conv's pads: [top, left, bottom, right], all ≥ 0. */
  readonly pads: readonly [number, number, number, number];
}

const sameData = (a: Tensor, b: Tensor): boolean => {
  const [x, y] = [a.data(), b.data()];
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
};

/**
 * The convolution starting at the unfold `programs[0].equations[start]`, if the equations
 * after it are exactly the pattern, each intermediate read by the next one only, and the weight
 * is one matrix broadcast along the batch in every trace (`programs` are the traces compared).
 */
export function matchConv(programs: readonly ProgramView[], start: number, uses: ReadonlyMap<number, number>): ConvMatch | null {
  const p = programs[0]!;
  const eqs = p.equations;
  const unfold = eqs[start]!;
  if (unfold.primitive !== 'unfold' || !('variable' in unfold.inputs[0]!)) return null;
  const next = (from: number, primitive: string, operand: number): number | null => {
    const produced = eqs[from]!.out;
    if (uses.get(produced) !== 1) return null;
    for (let j = from + 1; j < eqs.length; j++) {
      const a = eqs[j]!.inputs[operand];
      if (eqs[j]!.inputs.some((x) => 'variable' in x && x.variable === produced))
        return eqs[j]!.primitive === primitive && a !== undefined && 'variable' in a && a.variable === produced ? j : null;
    }
    return null;
  };
  const r = next(start, 'reshape', 0);
  const m = r === null ? null : next(r, 'matmul', 1);
  const e = m === null ? null : next(m, 'reshape', 0);
  if (r === null || m === null || e === null) return null;
  const g = unfold.params as WindowGeometry;
  const [n, c, kk, l] = unfold.shape as [number, number, number, number];
  const out = eqs[e]!.shape;
  if (!same(eqs[r]!.shape, [n, c * kk, l]) || out.length !== 4 || out[0] !== n || out[2] !== g.out[0] || out[3] !== g.out[1]) return null;
  const o = out[1]!;
  // The weight: a constant (the parameter) reshaped and broadcast along the batch, the same
  // [O, C·kk] matrix in every trace.
  const weights = programs.map((q) => weightConstant(q, q.equations[m]!.inputs[0]!));
  const first = weights[0];
  if (first === null || first === undefined || first.size !== o * c * kk) return null;
  const matrix = first.reshape([o, c * kk]);
  if (!weights.every((w) => w !== null && w.size === first.size && sameData(w.reshape([o, c * kk]), matrix))) return null;
  // NOTE: where the stride leaves the last rows unread the windows need no far padding (their
  // need is negative); Conv then gets 0 there, which must still give the same window count.
  const far = (need: number, size: number, near: number, axis: 0 | 1): number | null => {
    const pad = Math.max(0, need - size - near);
    const count = Math.floor((size + near + pad - g.dilation[axis] * (g.kernel[axis] - 1) - 1) / g.stride[axis]) + 1;
    return count === g.out[axis] ? pad : null;
  };
  const bottom = far(windowReach(g, 0), g.height, g.padding[0], 0);
  const right = far(windowReach(g, 1), g.width, g.padding[1], 1);
  if (bottom === null || right === null) return null;
  const pads: [number, number, number, number] = [g.padding[0], g.padding[1], bottom, right];
  return { equations: [start, r, m, e], weight: matrix.reshape([o, c, g.kernel[0], g.kernel[1]]), geometry: g, pads };
}

/** The constant an operand is computed from by reshape and broadcastTo equations only (the traced weight of a matmul), if it is. */
function weightConstant(q: ProgramView, atom: ProgramView['equations'][number]['inputs'][number]): Tensor | null {
  let a = atom;
  for (let hops = 0; hops < 8 && 'variable' in a; hops++) {
    const v = a.variable;
    const def = q.equations.find((e) => e.out === v);
    if (def === undefined || (def.primitive !== 'reshape' && def.primitive !== 'broadcastTo')) return null;
    a = def.inputs[0]!;
  }
  return 'constant' in a ? a.constant : null;
}

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Whether `eq` is read as an operand anywhere (for the use counts matchConv needs). */
export function useCounts(p: ProgramView): Map<number, number> {
  const uses = new Map<number, number>();
  const count = (eqOrOut: readonly ProgramEquation['inputs'][number][]) => {
    for (const a of eqOrOut) if ('variable' in a) uses.set(a.variable, (uses.get(a.variable) ?? 0) + 1);
  };
  for (const eq of p.equations) count(eq.inputs);
  count(p.outputs);
  return uses;
}
