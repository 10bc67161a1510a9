// einsum as a composite: repeated subscripts of one operand become diagonals, subscripts that
// nothing later needs are summed out early, and the operands are contracted pairwise, left to
// right, by one batched matmul each. Differentiable to any order, like its pieces.
import type { Tensor } from '../core/tensor.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { describe } from '../arguments.js';
import { diagonal } from './shape-ops.js';
import { broadcastTo, reshape, transpose } from './layout.js';
import { matmul } from './matmul.js';
import { castTo, commonDType, expectTensor } from './operand.js';
import { checkShape } from '../shape.js';

/** A tensor whose axes are named by the letters of `labels`, one letter per axis. */
interface Labelled {
  readonly x: Tensor;
  readonly labels: string;
}

const LETTER = /^[a-zA-Z]$/;
const ELLIPSIS = '...';
/**
 * The labels of `count` ellipsis axes inside: characters (①, ②, …) that no subscript can be, so
 * they never meet a user's letter. An operand with fewer ellipsis axes takes the last ones.
 */
const ellipsisLabels = (count: number): string => Array.from({ length: count }, (_, i) => String.fromCharCode(0x2460 + i)).join('');

/** The subscripts of each operand and of the output (null: implicit), each with at most one '...'. */
function parse(spec: unknown, count: number): { inputs: string[]; output: string | null } {
  if (typeof spec !== 'string') throw new ArgumentError(`einsum: expected a string of subscripts for spec, got ${describe(spec)}`);
  const text = spec.replace(/\s+/g, '');
  const arrow = text.indexOf('->');
  const inputs = (arrow < 0 ? text : text.slice(0, arrow)).split(',');
  const output = arrow < 0 ? null : text.slice(arrow + 2);
  for (const part of [...inputs, ...(output === null ? [] : [output])]) {
    const rest = part.replace(ELLIPSIS, '');
    for (const c of rest) {
      if (!LETTER.test(c))
        throw new ArgumentError(
          `einsum: ${describe(c)} in ${describe(spec)} is not a subscript (a letter a-z or A-Z, and at most one '...' per operand)`,
        );
    }
  }
  if (inputs.length !== count)
    throw new ArgumentError(`einsum: ${describe(spec)} has subscripts for ${inputs.length} operands, but ${count} were given`);
  return { inputs, output };
}

/** The output letters: as given (checked), or the letters used once, sorted, after the ellipsis axes. */
function outputLabels(spec: string, inputs: readonly string[], output: string | null, ellipsis: string): string {
  const uses = new Map<string, number>();
  for (const c of inputs.join('')) uses.set(c, (uses.get(c) ?? 0) + 1);
  if (output === null) {
    const once = [...uses.keys()].filter((c) => uses.get(c) === 1 && !ellipsis.includes(c)).sort();
    return ellipsis + once.join('');
  }
  const labels = output.replace(ELLIPSIS, ellipsis);
  for (const c of output.replace(ELLIPSIS, '')) {
    if (output.indexOf(c) !== output.lastIndexOf(c))
      throw new ArgumentError(`einsum: subscript '${c}' is repeated in the output of ${describe(spec)}`);
    if (!uses.has(c)) throw new ArgumentError(`einsum: output subscript '${c}' of ${describe(spec)} appears in no operand`);
  }
  return labels;
}

/** Takes the diagonal over each repeated letter, so that every letter names one axis. */
function distinct(t: Labelled): Labelled {
  let { x, labels } = t;
  for (let p = 0; p < labels.length; p++) {
    const q = labels.indexOf(labels[p]!, p + 1);
    if (q < 0) continue;
    x = diagonal(x, 0, p, q);
    labels = labels.slice(0, p) + labels.slice(p + 1, q) + labels.slice(q + 1) + labels[p]!;
    p = -1;
  }
  return { x, labels };
}

/** Sums out the letters of `t` that are not in `keep`. */
function sumExcept(t: Labelled, keep: (c: string) => boolean): Labelled {
  const axes = [...t.labels].flatMap((c, i) => (keep(c) ? [] : [i]));
  if (axes.length === 0) return t;
  return { x: t.x.sum(axes), labels: [...t.labels].filter((c) => keep(c)).join('') };
}

/** `t` with its axes in the order of `labels` (a permutation of its own). */
function ordered(t: Labelled, labels: string): Tensor {
  return transpose(
    t.x,
    [...labels].map((c) => t.labels.indexOf(c)),
  );
}

/** The product of a and b summed over their shared letters that `needed` does not keep: one matmul. */
function contract(a: Labelled, b: Labelled, needed: (c: string) => boolean): Labelled {
  const shared = [...a.labels].filter((c) => b.labels.includes(c));
  const batch = shared.filter(needed).join('');
  const summed = shared.filter((c) => !needed(c)).join('');
  const freeA = [...a.labels].filter((c) => !shared.includes(c)).join('');
  const freeB = [...b.labels].filter((c) => !shared.includes(c)).join('');
  const size = (t: Labelled, letters: string) => [...letters].map((c) => t.x.shape[t.labels.indexOf(c)]!);
  const count = (dims: readonly number[]) => dims.reduce((p, q) => p * q, 1);
  const [batchDims, aDims, bDims, sumDims] = [size(a, batch), size(a, freeA), size(b, freeB), size(a, summed)];
  // The product is checked here so that a too large one is reported as einsum's, not matmul's.
  checkShape('einsum', [...batchDims, ...aDims, ...bDims]);
  const left = reshape(ordered(a, batch + freeA + summed), [count(batchDims), count(aDims), count(sumDims)]);
  const right = reshape(ordered(b, batch + summed + freeB), [count(batchDims), count(sumDims), count(bDims)]);
  return { x: reshape(matmul(left, right), [...batchDims, ...aDims, ...bDims]), labels: batch + freeA + freeB };
}

/**
 * Einstein summation: out[output] = Σ over the other letters of Π operands[k][subscripts k],
 * with NumPy/PyTorch's `spec` ('ij,jk->ik'; without '->', the output is the letters used once,
 * in alphabetical order). A letter repeated in one operand takes its diagonal ('ii->i', 'ii' is
 * the trace). Letters are a-z and A-Z; '...' stands for the remaining axes of an operand, which
 * broadcast against each other (right-aligned) and lead the implicit output; ellipsis axes left
 * out of an explicit output are summed. Differentiable.
 *
 * @example
 * einsum('ij,jk->ik', a, b)    // matmul(a, b)
 * einsum('bi,bi->b', x, y)     // row-wise dot products
 * einsum('...ij->...ji', x)    // swap the last two axes
 */
export function einsum(spec: string, ...operands: Tensor[]): Tensor {
  const tensors = operands.map((x, i) => expectTensor('einsum', `operand ${i}`, x));
  if (tensors.length === 0) throw new ArgumentError('einsum: expected at least one operand');
  const parsed = parse(spec, tensors.length);
  const dtype = commonDType(...tensors);
  // Each operand's ellipsis covers the axes its letters leave; the widest sets the ellipsis rank.
  const ranks = tensors.map((x, k) => {
    const part = parsed.inputs[k]!;
    const named = part.replace(ELLIPSIS, '').length;
    const rank = part.includes(ELLIPSIS) ? x.ndim - named : 0;
    if (rank < 0 || (!part.includes(ELLIPSIS) && named !== x.ndim))
      throw new ShapeError(
        `einsum: operand ${k} has shape ${formatShape(x.shape)}, but its subscripts '${part}' name ${part.includes(ELLIPSIS) ? 'at least ' : ''}${named} axes`,
      );
    return rank;
  });
  const ellipsis = ellipsisLabels(Math.max(0, ...ranks));
  const inputs = parsed.inputs.map((part, k) => part.replace(ELLIPSIS, ellipsis.slice(ellipsis.length - ranks[k]!)));
  const output = outputLabels(spec, inputs, parsed.output, ellipsis);
  const sizes = new Map<string, number>();
  tensors.forEach((x, k) => {
    [...inputs[k]!].forEach((c, i) => {
      const n = x.shape[i]!;
      const seen = sizes.get(c);
      const broadcasts = ellipsis.includes(c) && (seen === 1 || n === 1);
      if (seen !== undefined && seen !== n && !broadcasts)
        throw new ShapeError(
          `einsum: ${ellipsis.includes(c) ? 'an axis of the ellipsis' : `subscript '${c}'`} has size ${seen} and ${n} (operand ${k} has shape ${formatShape(x.shape)})`,
        );
      if (seen === undefined || seen === 1) sizes.set(c, n);
    });
  });
  const labelled = tensors.map((x, k) => {
    const labels = inputs[k]!;
    // Ellipsis axes of size 1 are broadcast (a view) to the size the other operands give them.
    const shape = [...labels].map((c, i) => (ellipsis.includes(c) ? sizes.get(c)! : x.shape[i]!));
    return distinct({ x: broadcastTo(castTo(x, dtype), shape), labels });
  });
  // A letter is needed after operand k when the output or a later operand has it.
  const neededAfter = (k: number) => (c: string) => output.includes(c) || labelled.slice(k + 1).some((t) => t.labels.includes(c));
  let acc = sumExcept(labelled[0]!, neededAfter(0));
  for (let k = 1; k < labelled.length; k++) {
    const needed = neededAfter(k);
    const next = sumExcept(labelled[k]!, (c) => needed(c) || acc.labels.includes(c));
    acc = contract(
      sumExcept(acc, (c) => needed(c) || next.labels.includes(c)),
      next,
      needed,
    );
  }
  return ordered(
    sumExcept(acc, (c) => output.includes(c)),
    output,
  );
}
