// The 2-D toy problems, generated from a seed so that a run is reproducible: scikit-learn's
// two interleaving half circles ("moons") and two interleaved spiral arms.
import type { Rng } from '@jacobi/tensor';
import type { ToyPoints } from './protocol.js';

/**
 * `n` points (⌈n/2⌉ of class 0), class 0 on the upper half circle of radius 1 around (0, 0),
 * class 1 on the lower one around (1, 0.5), each coordinate with normal noise of sd `noise`.
 */
export function twoMoons(n: number, noise: number, r: Rng): ToyPoints {
  const points = emptyPoints(n);
  const upper = Math.ceil(n / 2);
  for (let i = 0; i < n; i++) {
    const label = i < upper ? 0 : 1;
    const count = label === 0 ? upper : n - upper;
    const index = label === 0 ? i : i - upper;
    // Evenly spaced angles, as scikit-learn's make_moons, so the shape does not depend on the seed.
    const t = count > 1 ? (Math.PI * index) / (count - 1) : 0;
    points.x[i] = (label === 0 ? Math.cos(t) : 1 - Math.cos(t)) + noise * r.normal();
    points.y[i] = (label === 0 ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * r.normal();
    points.labels[i] = label;
  }
  return points;
}

/**
 * `n` points on two spiral arms of `turns` turns each (radius 0 to 1), arm 1 the half-turn
 * rotation of arm 0, with normal noise of sd `noise`; the positions along the arms are random.
 */
export function spirals(n: number, turns: number, noise: number, r: Rng): ToyPoints {
  const points = emptyPoints(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const t = r.uniform();
    const angle = 2 * Math.PI * turns * t + label * Math.PI;
    points.x[i] = t * Math.cos(angle) + noise * r.normal();
    points.y[i] = t * Math.sin(angle) + noise * r.normal();
    points.labels[i] = label;
  }
  return points;
}

function emptyPoints(n: number): ToyPoints {
  return { x: new Float32Array(n), y: new Float32Array(n), labels: new Uint8Array(n) };
}

/** The points' bounding box, widened by `margin` of its size on each side: [xMin, xMax, yMin, yMax]. */
export function paddedExtent(points: ToyPoints, margin = 0.1): [number, number, number, number] {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < points.x.length; i++) {
    x0 = Math.min(x0, points.x[i]!);
    x1 = Math.max(x1, points.x[i]!);
    y0 = Math.min(y0, points.y[i]!);
    y1 = Math.max(y1, points.y[i]!);
  }
  const dx = (x1 - x0 || 1) * margin;
  const dy = (y1 - y0 || 1) * margin;
  return [x0 - dx, x1 + dx, y0 - dy, y1 + dy];
}

/** The centres of a `size × size` grid over `extent`, row-major from the top row (y = yMax) down: `[size², 2]` values. */
export function gridCentres(extent: readonly [number, number, number, number], size: number): Float32Array {
  const [x0, x1, y0, y1] = extent;
  const out = new Float32Array(size * size * 2);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const k = (row * size + col) * 2;
      out[k] = x0 + ((col + 0.5) / size) * (x1 - x0);
      out[k + 1] = y1 - ((row + 0.5) / size) * (y1 - y0);
    }
  }
  return out;
}
