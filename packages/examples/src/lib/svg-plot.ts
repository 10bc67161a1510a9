// Line charts as a standalone SVG string (no dependencies): one panel per quantity, side by
// side, each with axes, ticks, axis labels, a title and a legend.

export interface Series {
  name: string;
  /** y values at x = 1, 2, 3, ... */
  values: readonly number[];
  color: string;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** Fixed y range (e.g. [0, 1] for accuracy); otherwise from the data. */
  yRange?: readonly [number, number];
  /** Where the legend sits inside the plot area (default top right). */
  legend?: 'top-right' | 'bottom-right';
}

const PANEL_W = 480;
const PANEL_H = 340;
const M = { left: 70, right: 20, top: 40, bottom: 55 };

/** Round tick values covering [lo, hi] with about `count` steps of 1, 2 or 5 × 10^k. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Text made safe inside SVG markup. */
export const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.01) ? v.toExponential(1) : String(Number(v.toPrecision(4))));

function panelSvg(p: Panel, x0: number): string {
  const n = Math.max(1, ...p.series.map((s) => s.values.length));
  const all = p.series.flatMap((s) => s.values.filter(Number.isFinite));
  let [lo, hi] = p.yRange ?? [Math.min(0, ...all), Math.max(...all, 1e-12)];
  if (!(hi > lo)) hi = lo + 1;
  const yTicks = niceTicks(lo, hi);
  lo = Math.min(lo, yTicks[0]!);
  hi = Math.max(hi, yTicks[yTicks.length - 1]!);
  const xTicks = niceTicks(1, n).filter((t) => t >= 1 && Number.isInteger(t));
  const w = PANEL_W - M.left - M.right;
  const h = PANEL_H - M.top - M.bottom;
  const sx = (x: number) => x0 + M.left + (n === 1 ? w / 2 : ((x - 1) / (n - 1)) * w);
  const sy = (y: number) => M.top + h - ((y - lo) / (hi - lo)) * h;
  const out: string[] = [];
  out.push(`<text x="${x0 + PANEL_W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escape(p.title)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + w}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x0 + M.left - 8}" y="${sy(t) + 4}" text-anchor="end" font-size="12">${fmt(t)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${M.top + h}" y2="${M.top + h + 5}" stroke="#333"/>`);
    out.push(`<text x="${sx(t)}" y="${M.top + h + 19}" text-anchor="middle" font-size="12">${t}</text>`);
  }
  out.push(`<rect x="${x0 + M.left}" y="${M.top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${x0 + M.left + w / 2}" y="${PANEL_H - 12}" text-anchor="middle" font-size="13">${escape(p.xLabel)}</text>`);
  out.push(
    `<text transform="translate(${x0 + 18} ${M.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="13">${escape(p.yLabel)}</text>`,
  );
  for (const s of p.series) {
    const points = s.values.map((v, i) => `${sx(i + 1).toFixed(2)},${sy(Math.min(hi, Math.max(lo, v))).toFixed(2)}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
  }
  // Legend in the top-right corner of the plot area, on a white box so lines never hide it.
  const lx = x0 + M.left + w - 150;
  const boxHeight = 10 + 20 * p.series.length;
  const ly = p.legend === 'bottom-right' ? M.top + h - 8 - boxHeight : M.top + 8;
  out.push(`<rect x="${lx}" y="${ly}" width="140" height="${boxHeight}" fill="white" fill-opacity="0.9" stroke="#999"/>`);
  p.series.forEach((s, i) => {
    const y = ly + 15 + 20 * i;
    out.push(
      `<line x1="${lx + 8}" x2="${lx + 36}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    out.push(`<text x="${lx + 44}" y="${y + 4}" font-size="12">${escape(s.name)}</text>`);
  });
  return out.join('\n');
}

/** The panels side by side as one SVG document. */
export function lineChartsSvg(panels: readonly Panel[]): string {
  const width = PANEL_W * panels.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${PANEL_H}" viewBox="0 0 ${width} ${PANEL_H}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${PANEL_H}" fill="white"/>`,
    ...panels.map((p, i) => panelSvg(p, i * PANEL_W)),
    '</svg>',
    '',
  ].join('\n');
}

/** One epoch's figures, as the examples' training loops record them. */
export interface EpochFigures {
  readonly trainLoss: number;
  readonly testLoss: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
}

/** The examples' two panels: train and test loss (labelled `lossLabel`) and accuracy, per epoch. */
export function trainingCurvesSvg(history: readonly EpochFigures[], lossLabel: string): string {
  const pair = (pick: (e: EpochFigures) => number, test: (e: EpochFigures) => number): Series[] => [
    { name: 'train', values: history.map(pick), color: '#1f77b4' },
    { name: 'test', values: history.map(test), color: '#d62728', dashed: true },
  ];
  return lineChartsSvg([
    {
      title: 'Loss',
      xLabel: 'epoch',
      yLabel: lossLabel,
      series: pair(
        (e) => e.trainLoss,
        (e) => e.testLoss,
      ),
    },
    {
      title: 'Accuracy',
      xLabel: 'epoch',
      yLabel: 'accuracy',
      yRange: [0, 1],
      legend: 'bottom-right',
      series: pair(
        (e) => e.trainAccuracy,
        (e) => e.testAccuracy,
      ),
    },
  ]);
}
