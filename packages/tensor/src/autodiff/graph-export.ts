// Renders the recorded graph behind a tensor as Graphviz DOT or Mermaid: one node per
// operation with its name, shape and dtype; leaves marked, with their gradients once known.
import type { Node, Tensor } from '../core/tensor.js';
import { effective } from '../core/trace.js';
import { formatShape } from '../errors.js';
import { toArray } from '../format.js';

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

function collect(t: Tensor): { nodes: GraphNode[]; edges: [string, string][] } {
  const trace = effective(t)._trace;
  if (trace === null || trace.kind !== 'reverse') {
    return { nodes: [{ id: 'n0', label: `constant ${formatShape(t.shape)} ${t.dtype}`, leaf: true }], edges: [] };
  }
  const ids = new Map<Node, string>();
  const nodes: GraphNode[] = [];
  const edges: [string, string][] = [];
  const visit = (node: Node): string => {
    const known = ids.get(node);
    if (known !== undefined) return known;
    const id = `n${node.id}`;
    ids.set(node, id);
    const leaf = node.prim === null;
    const name = leaf ? 'leaf' : node.prim!.name;
    nodes.push({ id, label: `${name} ${formatShape(node.shape)} ${node.dtype}${leaf ? describeGrad(node.grad) : ''}`, leaf });
    for (const p of node.parents) if (p !== null) edges.push([visit(p), id]);
    return id;
  };
  visit(trace.node);
  return { nodes: nodes.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1))), edges };
}

/**
 * The graph behind `t` in Graphviz's DOT language (leaves are boxes).
 *
 * @example
 * console.log(toDot(loss)); // paste into `dot -Tsvg`
 */
export function toDot(t: Tensor): string {
  const { nodes, edges } = collect(t);
  const lines = ['digraph jacobi {', '  rankdir=LR;'];
  for (const n of nodes) lines.push(`  ${n.id} [label=${JSON.stringify(n.label)}, shape=${n.leaf ? 'box' : 'ellipse'}];`);
  for (const [a, b] of edges) lines.push(`  ${a} -> ${b};`);
  lines.push('}');
  return lines.join('\n');
}

/** The graph behind `t` as a Mermaid flowchart (leaves in square brackets). */
export function toMermaid(t: Tensor): string {
  const { nodes, edges } = collect(t);
  const lines = ['flowchart LR'];
  const quote = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
  for (const n of nodes) lines.push(n.leaf ? `  ${n.id}[${quote(n.label)}]` : `  ${n.id}(${quote(n.label)})`);
  for (const [a, b] of edges) lines.push(`  ${a} --> ${b}`);
  return lines.join('\n');
}
