// A training progress bar: one line rewritten with \r on a terminal, and plain periodic lines
// when stdout is not a TTY (CI logs and pipes would otherwise fill with carriage returns).

export interface ProgressOptions {
  total: number;
  /** Write to this stream (default process.stdout). */
  stream?: { isTTY?: boolean; write(s: string): unknown };
  /** Lines to print when not on a TTY (default 10, evenly spaced). */
  lines?: number;
  width?: number;
  /** What one step is called in the bar (default `'epoch'`). */
  unit?: string;
}

/** Shows `[#####.....] epoch k/n  <status>` (or another `unit`); call `update` every step and `done` at the end. */
export class ProgressBar {
  private readonly stream: { isTTY?: boolean; write(s: string): unknown };
  private readonly every: number;
  private lastLength = 0;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stdout;
    this.every = Math.max(1, Math.ceil(opts.total / (opts.lines ?? 10)));
  }

  update(step: number, status: string): void {
    const { total } = this.opts;
    const width = this.opts.width ?? 30;
    const filled = Math.round((width * step) / Math.max(1, total));
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.opts.unit ?? 'epoch'} ${String(step).padStart(String(total).length)}/${total}  ${status}`;
    if (this.stream.isTTY) {
      this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.lastLength - line.length))}`);
      this.lastLength = line.length;
    } else if (step % this.every === 0 || step === total || step === 1) {
      this.stream.write(`${line}\n`);
    }
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
