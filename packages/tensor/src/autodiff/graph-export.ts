// Renders the recorded graph behind a tensor as Graphviz DOT or Mermaid: one node per
// operation with its name, shape and dtype; leaves marked, with their gradients once known.
import type { Node, Tensor } from '../core/tensor.js';
import { effective } from '../core/trace.js';
import { formatShape } from '../errors.js';
import { toArray } from '../format.js';
import { expectTensor } from '../ops/operand.js';

interface GraphNode {
  id: string;
  label: string;
  leaf: boolean;
}

function describeGrad(g: Tensor | null): string {
  if (g === null) return '';
  if (g.size <= 4) return ` grad=${JSON.stringify(toArray(g))}`;
  return ` grad ${formatShape(g.shape)}`;
}

function collect(op: string, t: Tensor): { nodes: GraphNode[]; edges: [string, string][] } {
  const trace = effective(expectTensor(op, 'the tensor', t))._trace;
  if (trace === null || trace.kind !== 'reverse') {
    return { nodes: [{ id: 'n0', label: `constant ${formatShape(t.shape)} ${t.dtype}`, leaf: true }], edges: [] };
  }
  // NOTE: an explicit stack, not recursion: a graph of any depth (a long training loop's
  // history) must not overflow the call stack, as the backward walk does not.
  const seen = new Set<Node>([trace.node]);
  const stack = [trace.node];
  while (stack.length > 0) {
    for (const p of stack.pop()!.parents) {
      if (p !== null && !seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  const order = [...seen].sort((a, b) => a.id - b.id);
  const nodes = order.map((node): GraphNode => {
    const leaf = node.prim === null;
    const name = leaf ? 'leaf' : node.prim!.name;
    return { id: `n${node.id}`, label: `${name} ${formatShape(node.shape)} ${node.dtype}${leaf ? describeGrad(node.grad) : ''}`, leaf };
  });
  const edges = order.flatMap((node) => node.parents.flatMap((p): [string, string][] => (p === null ? [] : [[`n${p.id}`, `n${node.id}`]])));
  return { nodes, edges };
}

/**
 * The graph behind `t` in Graphviz's DOT language (leaves are boxes).
 *
 * @example
 * console.log(toDot(loss)); // paste into `dot -Tsvg`
 */
export function toDot(t: Tensor): string {
  const { nodes, edges } = collect('toDot', t);
  const lines = ['digraph jacobi {', '  rankdir=LR;'];
  for (const n of nodes) lines.push(`  ${n.id} [label=${JSON.stringify(n.label)}, shape=${n.leaf ? 'box' : 'ellipse'}];`);
  for (const [a, b] of edges) lines.push(`  ${a} -> ${b};`);
  lines.push('}');
  return lines.join('\n');
}

/** The graph behind `t` as a Mermaid flowchart (leaves in square brackets). */
export function toMermaid(t: Tensor): string {
  const { nodes, edges } = collect('toMermaid', t);
  const lines = ['flowchart LR'];
  const quote = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
  for (const n of nodes) lines.push(n.leaf ? `  ${n.id}[${quote(n.label)}]` : `  ${n.id}(${quote(n.label)})`);
  for (const [a, b] of edges) lines.push(`  ${a} --> ${b}`);
  return lines.join('\n');
}
