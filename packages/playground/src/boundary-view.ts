// The decision-boundary picture: each grid cell painted with its predicted class's light
// colour, the data points on top in the full colour of their true class.
import { linearScale } from './chart.js';
import type { Boundary, ToyPoints } from './protocol.js';

/** Full colours per class (points). */
export const CLASS_COLORS = ['#d9534f', '#337ab7', '#5cb85c'] as const;
/** The same colours mixed with 60% white, opaque (cells), so overlapping cells show no seams. */
const CELL_COLORS = ['#f0bab9', '#adcae2', '#bee3be'] as const;

/** Draws `boundary` scaled to fill `canvas`, then `points` (in the same coordinates). */
export function drawBoundary(canvas: HTMLCanvasElement, boundary: Boundary, points: ToyPoints): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width, height } = canvas;
  const { size, extent, classes } = boundary;
  ctx.clearRect(0, 0, width, height);
  const cellW = width / size;
  const cellH = height / size;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      ctx.fillStyle = CELL_COLORS[classes[row * size + col]! % CELL_COLORS.length]!;
      // Cells overlap by a pixel so that no seams show between them.
      ctx.fillRect(Math.floor(col * cellW), Math.floor(row * cellH), Math.ceil(cellW) + 1, Math.ceil(cellH) + 1);
    }
  }
  const [x0, x1, y0, y1] = extent;
  const sx = linearScale(x0, x1, 0, width);
  const sy = linearScale(y0, y1, height, 0);
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 0.8;
  for (let i = 0; i < points.labels.length; i++) {
    ctx.fillStyle = CLASS_COLORS[points.labels[i]! % CLASS_COLORS.length]!;
    ctx.beginPath();
    ctx.arc(sx(points.x[i]!), sy(points.y[i]!), 2.6, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}
