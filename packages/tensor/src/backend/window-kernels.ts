// im2col and col2im over contiguous planes, the reference kernels of the `unfold` and `fold`
// primitives. Each (plane, tap, output row) is one run of input columns at a fixed step, so
// the inner loops carry no index table and no per-element bounds test: the columns that fall
// in the padding are worked out once per tap.
import type { TypedArray } from '../dtype.js';
import type { WindowGeometry } from './backend.js';

/**
 * The one loop nest of both kernels: `fold` false copies plane elements into the columns
 * (zeros for the padding), true adds the columns back into the (zeroed) planes.
 * NOTE: one nest with a flag tested per run, not a shared loop with a callback per run: the
 * callback version measured 2.5× slower.
 */
function windows(planesData: TypedArray, planes: number, g: WindowGeometry, cols: TypedArray, fold: boolean): void {
  // NOTE: `| 0` makes every size a small integer for V8: a size that arrives as a double (the
  // result of Math.floor, say) turns all the index arithmetic below into float arithmetic, 2.5× slower.
  const height = g.height | 0;
  const width = g.width | 0;
  const [kh, kw] = [g.kernel[0] | 0, g.kernel[1] | 0];
  const [oh, ow] = [g.out[0] | 0, g.out[1] | 0];
  const [rowStride, step] = [g.stride[0] | 0, g.stride[1] | 0];
  const [rowDilation, colDilation] = [g.dilation[0] | 0, g.dilation[1] | 0];
  const [top, left] = [g.padding[0] | 0, g.padding[1] | 0];
  for (let pl = 0; pl < planes; pl++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const tap = ((pl * kh + i) * kw + j) * oh * ow;
        // The input column of output column 0, and the output columns [first, end) inside the plane.
        const offset = j * colDilation - left;
        const first = Math.min(ow, offset >= 0 ? 0 : Math.ceil(-offset / step)) | 0;
        const end = Math.max(first, Math.min(ow, Math.floor((width - 1 - offset) / step) + 1)) | 0;
        for (let p = 0; p < oh; p++) {
          const row = tap + p * ow;
          const r = p * rowStride + i * rowDilation - top;
          const inside = r >= 0 && r < height;
          if (fold) {
            if (!inside) continue;
            const base = (pl * height + r) * width + offset;
            for (let q = first; q < end; q++) planesData[base + q * step] = planesData[base + q * step]! + cols[row + q]!;
            continue;
          }
          if (!inside) {
            for (let q = 0; q < ow; q++) cols[row + q] = 0;
            continue;
          }
          for (let q = 0; q < first; q++) cols[row + q] = 0;
          for (let q = end; q < ow; q++) cols[row + q] = 0;
          const base = (pl * height + r) * width + offset;
          if (step === 1) for (let q = first; q < end; q++) cols[row + q] = planesData[base + q]!;
          else for (let q = first; q < end; q++) cols[row + q] = planesData[base + q * step]!;
        }
      }
    }
  }
}

/** See {@link Backend.unfold}. */
export function unfold(x: TypedArray, planes: number, g: WindowGeometry, out: TypedArray): void {
  windows(x, planes, g, out, false);
}

/** See {@link Backend.fold}. */
export function fold(cols: TypedArray, planes: number, g: WindowGeometry, out: TypedArray): void {
  out.fill(0);
  windows(out, planes, g, cols, true);
}
