// The one reverse walk, shared by `vjp`/`grad` and by `backward()`: visit the recorded nodes
// from the output back to the leaves in reverse creation order (a node is always created after
// its parents, so that order is topological), pulling each cotangent through its rules.
import { AnomalyError, NotDifferentiableError, formatShape } from '../errors.js';
import { anomalyEnabled, firstNonFinite } from '../core/anomaly.js';
import { contiguousData, type Node, type Tensor } from '../core/tensor.js';
import { primalsOf, valueOf, withinBackward } from '../core/trace.js';
import type { RuleContext } from '../core/primitive.js';

export interface BackpropOptions {
  /** Run the rules on the tensors as recorded (so the walk is itself recorded): createGraph. */
  readonly recordBackward: boolean;
  /** Drop the saved tensors of every visited node afterwards. */
  readonly release: boolean;
  /** The operation named in errors (`backward`, `vjp`). */
  readonly caller: string;
}

// Numbers the walks of `reachable`: a node it reaches is marked with its walk's number, which
// is cheaper than a Set of the nodes seen (a walk never runs inside another).
let walks = 0;

/** Every node reachable from `roots`, latest first. */
function reachable(roots: Iterable<Node>): Node[] {
  const walk = ++walks;
  const found: Node[] = [];
  for (const root of roots) {
    if (root.walk === walk) continue;
    root.walk = walk;
    found.push(root);
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < found.length; i++) {
    const node = found[i]!;
    if (node.id < lo) lo = node.id;
    if (node.id > hi) hi = node.id;
    for (const p of node.parents) {
      if (p !== null && p.walk !== walk) {
        p.walk = walk;
        found.push(p);
      }
    }
  }
  // Node ids count up as nodes are made, so a graph's ids mostly fill their range: placing each
  // node at its id orders them in one pass (a 10,000-node graph's sort cost a tenth of its
  // backward pass). Sparse ids (a small graph among old nodes) are sorted instead.
  if (found.length < 2) return found;
  const span = hi - lo + 1;
  if (span > 4 * found.length + 64) return found.sort((a, b) => b.id - a.id);
  const byId = new Array<Node | undefined>(span);
  for (const node of found) byId[hi - node.id] = node;
  let k = 0;
  for (const node of byId) if (node !== undefined) found[k++] = node;
  return found;
}

/** Pulls `cotangent` (for `root`) back to every reachable leaf; returns the leaves' cotangents. */
export function backprop(root: Node, cotangent: Tensor, opts: BackpropOptions): Map<Node, Tensor> {
  return backpropMany(new Map([[root, cotangent]]), opts);
}

/**
 * Pulls the cotangents of several outputs (`seeds`, one per output node) back at once. Returns
 * the cotangent of every reachable leaf, or, with `capture`, of exactly those nodes (leaves or
 * not) that the walk reaches: a node's cotangent is complete when it is visited, because every
 * node that uses it is visited before it.
 */
export function backpropMany(seeds: ReadonlyMap<Node, Tensor>, opts: BackpropOptions, capture?: ReadonlySet<Node>): Map<Node, Tensor> {
  const order = reachable(seeds.keys());
  for (const node of order) {
    if (node.released) {
      throw new NotDifferentiableError(
        `${opts.caller}: the graph through ${node.prim?.name ?? 'a leaf'} ${formatShape(node.shape)} was already released by an earlier backward(); pass { retainGraph: true } to the first backward() to go through it again`,
      );
    }
  }
  const cotangents = new Map<Node, Tensor>(seeds);
  const leaves = new Map<Node, Tensor>();
  withinBackward(() => {
    for (const node of order) {
      const g = cotangents.get(node);
      if (g === undefined) continue;
      cotangents.delete(node);
      const prim = node.prim;
      if (capture === undefined ? prim === null : capture.has(node)) leaves.set(node, g);
      if (prim === null) continue;
      const ctx: RuleContext<unknown> = opts.recordBackward
        ? { inputs: node.inputs!, out: node.out!, params: node.params }
        : { inputs: primalsOf(node), out: node.out!._trace!.primal, params: node.params };
      node.parents.forEach((parent, i) => {
        if (parent === null) return;
        const gi = prim.vjp[i]!(g, ctx);
        if (anomalyEnabled()) checkCotangent(node, i, gi);
        const previous = cotangents.get(parent);
        cotangents.set(parent, previous === undefined ? gi : previous.add(gi));
      });
    }
  });
  if (opts.release) for (const node of order) release(node);
  return leaves;
}

/** Drops the saved tensors of every node reachable from `roots` (what `release` does after a walk). */
export function releaseFrom(roots: Iterable<Node>): void {
  for (const node of reachable(roots)) release(node);
}

function release(node: Node): void {
  if (node.prim === null) return;
  node.inputs = null;
  node.out = null;
  node.released = true;
}

function checkCotangent(node: Node, input: number, g: Tensor): void {
  const data = contiguousData(valueOf(g));
  const bad = firstNonFinite(data);
  if (bad < 0) return;
  const shapes = (node.inputs ?? []).map((x) => formatShape(x.shape)).join(', ');
  throw new AnomalyError(
    `backward of ${node.prim!.name} (inputs ${shapes}) produced ${data[bad]} in the cotangent of input ${input} at flat index ${bad}` +
      `\n  the ${node.prim!.name} was created at ${node.stack ?? '(unknown: enable anomaly mode before the forward pass)'}`,
  );
}
