// The graph of a training step, from the Mermaid text `toMermaid` writes, laid out by our own
// small code (no Mermaid runtime in the bundle): columns by longest path from the inputs,
// leaves (weights, data) placed just before their first use, drawn as an SVG string.

/** A node of the flowchart: its id, label, and whether it is a leaf (square brackets). */
export interface GraphNode {
  id: string;
  label: string;
  leaf: boolean;
}

/** Nodes and edges (from id, to id) of a `flowchart` as `toMermaid` writes it. */
export interface Flowchart {
  nodes: GraphNode[];
  edges: [string, string][];
}

/** Gradient values written to 17 digits, shown to 3 so that a node stays a readable width. */
export function shortenNumbers(label: string): string {
  return label.replace(/-?\d+\.\d{4,}(e[-+]?\d+)?/g, (v) => String(Number(Number(v).toPrecision(3))));
}

/** Reads the lines `  id["label"]` (leaf), `  id("label")` (operation) and `  a --> b`; other lines are ignored. */
export function parseFlowchart(text: string): Flowchart {
  const nodes: GraphNode[] = [];
  const edges: [string, string][] = [];
  for (const line of text.split('\n')) {
    const node = /^\s*(\w+)(\[|\()"(.*)"(\]|\))\s*$/.exec(line);
    if (node) {
      nodes.push({ id: node[1]!, label: shortenNumbers(node[3]!.replace(/#quot;/g, '"')), leaf: node[2] === '[' });
      continue;
    }
    const edge = /^\s*(\w+)\s*-->\s*(\w+)\s*$/.exec(line);
    if (edge) edges.push([edge[1]!, edge[2]!]);
  }
  return { nodes, edges };
}

/** A node's box in the layout. */
export interface PlacedNode extends GraphNode {
  column: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

const NODE_HEIGHT = 22;
const ROW_GAP = 10;
const COLUMN_GAP = 36;
const CHAR_WIDTH = 6.4;

/**
 * Columns: each node as late as its first consumer allows (one column before it), the
 * outputs one column after their furthest input. Within a column, nodes are ordered by their
 * inputs' mean row.
 */
export function layoutFlowchart(chart: Flowchart): { nodes: PlacedNode[]; width: number; height: number } {
  const byId = new Map(chart.nodes.map((n) => [n.id, n]));
  const parents = new Map<string, string[]>(chart.nodes.map((n) => [n.id, []]));
  const children = new Map<string, string[]>(chart.nodes.map((n) => [n.id, []]));
  for (const [a, b] of chart.edges) {
    if (!byId.has(a) || !byId.has(b)) continue;
    parents.get(b)!.push(a);
    children.get(a)!.push(b);
  }
  // Kahn's order, so that every input is placed before its consumers.
  const pending = new Map(chart.nodes.map((n) => [n.id, parents.get(n.id)!.length]));
  const order = chart.nodes.filter((n) => pending.get(n.id) === 0).map((n) => n.id);
  for (let i = 0; i < order.length; i++) {
    for (const c of children.get(order[i]!)!) {
      pending.set(c, pending.get(c)! - 1);
      if (pending.get(c) === 0) order.push(c);
    }
  }
  const column = new Map<string, number>();
  for (const id of order) column.set(id, Math.max(0, ...parents.get(id)!.map((p) => column.get(p)! + 1)));
  // Then as late as possible: a side branch (a weight, a bias's broadcast) moves next to its use.
  for (const id of [...order].reverse()) {
    const uses = children.get(id)!.map((c) => column.get(c)!);
    if (uses.length > 0) column.set(id, Math.min(...uses) - 1);
  }
  const columns: string[][] = [];
  for (const id of order) (columns[column.get(id)!] ??= []).push(id);

  const row = new Map<string, number>();
  const placed: PlacedNode[] = [];
  let x = 0;
  let height = 0;
  for (const ids of columns) {
    if (!ids) continue;
    const meanParentRow = (id: string) => {
      const rows = parents.get(id)!.flatMap((p) => (row.has(p) ? [row.get(p)!] : []));
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Number.POSITIVE_INFINITY;
    };
    const sorted = [...ids].sort((a, b) => meanParentRow(a) - meanParentRow(b));
    const width = Math.max(...sorted.map((id) => byId.get(id)!.label.length * CHAR_WIDTH + 16));
    sorted.forEach((id, i) => {
      row.set(id, i);
      const y = i * (NODE_HEIGHT + ROW_GAP);
      placed.push({ ...byId.get(id)!, column: column.get(id)!, x, y, width, height: NODE_HEIGHT });
      height = Math.max(height, y + NODE_HEIGHT);
    });
    x += width + COLUMN_GAP;
  }
  return { nodes: placed, width: Math.max(0, x - COLUMN_GAP), height };
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The laid-out chart as an SVG document: leaves as squares, operations rounded, edges as curves with arrows. */
export function flowchartSvg(chart: Flowchart): string {
  const { nodes, width, height } = layoutFlowchart(chart);
  const at = new Map(nodes.map((n) => [n.id, n]));
  const pad = 8;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="step-graph" width="${width + 2 * pad}" height="${height + 2 * pad}" ` +
      `viewBox="${-pad} ${-pad} ${width + 2 * pad} ${height + 2 * pad}" font-family="ui-monospace, monospace" font-size="11">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">' +
      '<path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>',
  ];
  for (const [a, b] of chart.edges) {
    const from = at.get(a);
    const to = at.get(b);
    if (!from || !to) continue;
    const [x1, y1, x2, y2] = [from.x + from.width, from.y + from.height / 2, to.x, to.y + to.height / 2];
    const bend = Math.max(12, (x2 - x1) / 2);
    parts.push(
      `<path d="M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}" fill="none" stroke="#888" marker-end="url(#arrow)"/>`,
    );
  }
  for (const n of nodes) {
    const fill = n.leaf ? '#fff4d6' : '#e3eefc';
    parts.push(
      `<g data-id="${n.id}"><rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="${n.leaf ? 0 : 8}" ` +
        `fill="${fill}" stroke="#567"/><text x="${n.x + 8}" y="${n.y + 15}">${escapeXml(n.label)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
