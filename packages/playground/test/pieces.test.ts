// The page's logic that runs without a browser: the configuration checks, the toy data, the
// chart scaling and the graph's reading and layout.
import { rng, tensor, toMermaid } from '@jacobi/tensor';
import { describe, expect, it } from 'vitest';
import { linearScale, niceTicks, valueRange } from '../src/chart.js';
import { flowchartSvg, layoutFlowchart, parseFlowchart, shortenNumbers } from '../src/graph-view.js';
import { configProblems, DEFAULT_CONFIGS, parseWidths } from '../src/protocol.js';
import { gridCentres, paddedExtent, spirals, twoMoons } from '../src/toy-data.js';

describe('protocol', () => {
  it('accepts the defaults and names what is wrong with a bad configuration', () => {
    for (const config of Object.values(DEFAULT_CONFIGS)) expect(configProblems(config)).toEqual([]);
    const bad = { ...DEFAULT_CONFIGS.iris, hidden: [16, 0], lr: -1, epochs: 1.5, optimizer: 'rmsprop' as 'sgd' };
    expect(configProblems(bad)).toEqual([
      'hidden widths must be whole numbers from 1 to 512',
      'optimizer must be one of sgd, adam',
      'learning rate must be a number in (0, 10]',
      'epochs must be a whole number from 1 to 10000',
    ]);
  });
  it('reads hidden widths typed with commas or spaces', () => {
    expect(parseWidths('16, 8')).toEqual([16, 8]);
    expect(parseWidths(' 32 32 ')).toEqual([32, 32]);
    expect(parseWidths('')).toEqual([]);
    expect(parseWidths('16, x')).toBeUndefined();
    expect(parseWidths('4.5')).toBeUndefined();
  });
});

describe('toy data', () => {
  it('two moons: half the points per class, on their half circles (no noise)', () => {
    const p = twoMoons(100, 0, rng(1));
    expect(p.labels.filter((l) => l === 0).length).toBe(50);
    for (let i = 0; i < 100; i++) {
      const [cx, cy] = p.labels[i] === 0 ? [0, 0] : [1, 0.5];
      expect(Math.hypot(p.x[i]! - cx, p.y[i]! - cy)).toBeCloseTo(1, 5);
      // Class 0 is the upper half circle, class 1 the lower one.
      expect(p.labels[i] === 0 ? p.y[i]! >= -1e-6 : p.y[i]! <= 0.5 + 1e-6).toBe(true);
    }
  });
  it('the same seed gives the same points; another seed other noise', () => {
    expect(twoMoons(20, 0.1, rng(3))).toEqual(twoMoons(20, 0.1, rng(3)));
    expect(twoMoons(20, 0.1, rng(3)).x).not.toEqual(twoMoons(20, 0.1, rng(4)).x);
  });
  it('spirals: the two arms are half a turn apart, radius within [0, 1]', () => {
    const p = spirals(200, 1.5, 0, rng(2));
    expect(p.labels.filter((l) => l === 1).length).toBe(100);
    for (let i = 0; i < 200; i++) expect(Math.hypot(p.x[i]!, p.y[i]!)).toBeLessThanOrEqual(1 + 1e-6);
  });
  it('the boundary grid covers the points with a margin, cell centres from the top row down', () => {
    const p = { x: Float32Array.of(0, 1), y: Float32Array.of(0, 2), labels: Uint8Array.of(0, 1) };
    expect(paddedExtent(p, 0.5)).toEqual([-0.5, 1.5, -1, 3]);
    expect(Array.from(gridCentres([0, 2, 0, 2], 2))).toEqual([0.5, 1.5, 1.5, 1.5, 0.5, 0.5, 1.5, 0.5]);
  });
});

describe('chart scaling', () => {
  it('nice ticks step by 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 1, 2)).toEqual([0, 0.5, 1]);
    expect(niceTicks(0, 0.83, 4)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(1, 40, 5)).toEqual([10, 20, 30, 40]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });
  it('ranges start at 0 (or the minimum) and a flat series gets some height', () => {
    expect(valueRange([{ name: 'a', color: '', values: [0.5, 2] }])).toEqual([0, 2]);
    expect(valueRange([{ name: 'a', color: '', values: [-1, 2] }])).toEqual([-1, 2]);
    expect(valueRange([{ name: 'a', color: '', values: [0, 0] }])).toEqual([0, 1]);
    expect(valueRange([], [0, 1])).toEqual([0, 1]);
  });
  it('a linear scale maps the ends onto the ends (an inverted range for y)', () => {
    const y = linearScale(0, 1, 200, 20);
    expect([y(0), y(1), y(0.5)]).toEqual([200, 20, 110]);
  });
});

describe('graph view', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const w = tensor([3, 4], { requiresGrad: true });
  const loss = x.mul(w).sum().exp();
  const text = toMermaid(loss);

  it('reads toMermaid output: leaves, operations and edges', () => {
    const chart = parseFlowchart(text);
    expect(chart.nodes.filter((n) => n.leaf).map((n) => n.label)).toEqual(['leaf [2] float32', 'leaf [2] float32']);
    expect(chart.nodes.filter((n) => !n.leaf).map((n) => n.label.split(' ')[0])).toEqual(['mul', 'sum', 'exp']);
    expect(chart.edges.length).toBe(4);
  });
  it('places every input in an earlier column than its consumer', () => {
    const chart = parseFlowchart(text);
    const at = new Map(layoutFlowchart(chart).nodes.map((n) => [n.id, n]));
    for (const [a, b] of chart.edges) expect(at.get(a)!.column).toBeLessThan(at.get(b)!.column);
    expect(flowchartSvg(chart).match(/<g /g)!.length).toBe(5);
  });
  it('side branches sit next to their use, not in the first column', () => {
    const chart = parseFlowchart(
      'flowchart LR\n  a["leaf"]\n  b("f")\n  c("g")\n  d["bias"]\n  e("h")\n  a --> b\n  b --> c\n  c --> e\n  d --> e',
    );
    const at = new Map(layoutFlowchart(chart).nodes.map((n) => [n.id, n.column]));
    expect([at.get('a'), at.get('b'), at.get('c'), at.get('d'), at.get('e')]).toEqual([0, 1, 2, 2, 3]);
  });
  it('shortens long numbers and escapes labels for SVG', () => {
    expect(shortenNumbers('leaf [3] float32 grad=[-0.19766443967819214,0.5,1e-7]')).toBe('leaf [3] float32 grad=[-0.198,0.5,1e-7]');
    expect(flowchartSvg(parseFlowchart('flowchart LR\n  n0["a<b & c"]'))).toContain('a&lt;b &amp; c');
  });
});
