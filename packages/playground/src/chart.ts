// Line charts on a <canvas>: the scaling is pure (tested in Node), the drawing is a few
// calls on a 2-D context, redrawn whole after each epoch (a few hundred points at most).

/** A named series of y values at x = 1, 2, 3, … (epochs). */
export interface Series {
  name: string;
  color: string;
  values: readonly number[];
}

/** "Nice" tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  // The step closest to the raw one on a log scale, so the count stays near `count`.
  const closeness = (m: number) => Math.abs(Math.log((m * power) / raw));
  const step = [1, 2, 5, 10].reduce((best, m) => (closeness(m) < closeness(best) ? m : best)) * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** The y range to draw: the data's, or `fixed` (accuracy's [0, 1]); a flat series gets some height. */
export function valueRange(series: readonly Series[], fixed?: [number, number]): [number, number] {
  if (fixed) return fixed;
  const all = series.flatMap((s) => s.values.filter(Number.isFinite));
  if (all.length === 0) return [0, 1];
  const lo = Math.min(0, ...all);
  const hi = Math.max(...all);
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/** Maps [d0, d1] onto [r0, r1] linearly. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** Options of {@link drawLineChart}. */
export interface ChartOptions {
  title: string;
  /** A fixed y range (accuracy: [0, 1]); otherwise from 0 (or the minimum) to the maximum. */
  yRange?: [number, number];
  /** Epochs the x axis spans at least (the run's length, so the curve grows into the chart). */
  epochs: number;
}

const MARGIN = { left: 44, right: 10, top: 22, bottom: 24 };

/** Draws the series on `canvas` (cleared first): axes with ticks, one polyline per series, a legend. */
export function drawLineChart(canvas: HTMLCanvasElement, series: readonly Series[], opts: ChartOptions): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  const longest = Math.max(1, opts.epochs, ...series.map((s) => s.values.length));
  const [y0, y1] = valueRange(series, opts.yRange);
  const sx = linearScale(1, Math.max(2, longest), MARGIN.left, width - MARGIN.right);
  const sy = linearScale(y0, y1, height - MARGIN.bottom, MARGIN.top);

  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#555';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of niceTicks(y0, y1, 4)) {
    const y = Math.round(sy(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(MARGIN.left, y);
    ctx.lineTo(width - MARGIN.right, y);
    ctx.stroke();
    ctx.fillText(String(t), MARGIN.left - 4, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of niceTicks(1, longest, 5).filter((v) => Number.isInteger(v))) ctx.fillText(String(t), sx(t), height - MARGIN.bottom + 4);
  ctx.textAlign = 'left';
  ctx.fillStyle = '#222';
  ctx.fillText(opts.title, MARGIN.left, 4);

  let legendX = width - MARGIN.right;
  for (const s of [...series].reverse()) {
    ctx.fillStyle = s.color;
    const w = ctx.measureText(s.name).width;
    legendX -= w;
    ctx.fillText(s.name, legendX, 4);
    legendX -= 12;
  }
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.values.forEach((v, i) => (i === 0 ? ctx.moveTo(sx(i + 1), sy(v)) : ctx.lineTo(sx(i + 1), sy(v))));
    // A single epoch is a dot, not an invisible zero-length line.
    if (s.values.length === 1) ctx.arc(sx(1), sy(s.values[0]!), 2, 0, 2 * Math.PI);
    ctx.stroke();
  }
}
