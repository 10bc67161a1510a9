// A confusion matrix as a standalone SVG string: true class down, predicted class across, each
// cell shaded by its share of the true class's row and labelled with its count.
import { escape } from './svg-plot.js';

export interface ConfusionOptions {
  title: string;
  /** Class names in index order (default the indices). */
  classNames?: readonly string[];
}

const CELL = 40;
const M = { left: 90, top: 70, right: 20, bottom: 30 };

/** `counts[t][p]` (test items of true class t predicted as p) as one SVG document. */
export function confusionMatrixSvg(counts: readonly (readonly number[])[], opts: ConfusionOptions): string {
  const k = counts.length;
  const names = opts.classNames ?? counts.map((_, i) => String(i));
  const width = M.left + k * CELL + M.right;
  const height = M.top + k * CELL + M.bottom;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${escape(opts.title)}</text>`,
    `<text x="${M.left + (k * CELL) / 2}" y="${M.top - 30}" text-anchor="middle" font-size="13">predicted</text>`,
    `<text transform="translate(${M.left - 50} ${M.top + (k * CELL) / 2}) rotate(-90)" text-anchor="middle" font-size="13">true</text>`,
  ];
  counts.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    out.push(
      `<text x="${M.left - 8}" y="${M.top + t * CELL + CELL / 2 + 4}" text-anchor="end" font-size="12">${escape(names[t] ?? String(t))}</text>`,
    );
    row.forEach((count, p) => {
      const share = total > 0 ? count / total : 0;
      // Diagonal cells in blue, errors in red, so a mistake stands out even when it is rare.
      const hue = t === p ? 210 : 0;
      const fill = count === 0 ? '#ffffff' : `hsl(${hue}, 70%, ${Math.round(95 - 55 * Math.max(share, 0.15))}%)`;
      const x = M.left + p * CELL;
      const y = M.top + t * CELL;
      out.push(`<rect x="${x}" y="${y}" width="${CELL}" height="${CELL}" fill="${fill}" stroke="#ccc"/>`);
      if (count > 0) {
        const ink = share > 0.6 ? 'white' : 'black';
        out.push(`<text x="${x + CELL / 2}" y="${y + CELL / 2 + 4}" text-anchor="middle" font-size="12" fill="${ink}">${count}</text>`);
      }
    });
  });
  names.forEach((name, p) =>
    out.push(`<text x="${M.left + p * CELL + CELL / 2}" y="${M.top - 8}" text-anchor="middle" font-size="12">${escape(name)}</text>`),
  );
  out.push(`<rect x="${M.left}" y="${M.top}" width="${k * CELL}" height="${k * CELL}" fill="none" stroke="#333"/>`, '</svg>', '');
  return out.join('\n');
}
