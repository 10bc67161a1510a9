// The printed report: one table per jacobi backend (speedup = peer time / jacobi time, so
// above 1 means jacobi is faster), the SIMD ceiling with matmul as a share of it, and memory.
import type { BenchReport, CaseResult, CellResult } from './harness.js';

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

function cell(r: CellResult | undefined): string {
  if (!r) return '';
  switch (r.status) {
    case 'ok':
      return fmt(r.value);
    case 'n/a':
      return '—';
    case 'unavailable':
      return 'unavail.';
    case 'error':
      return 'error';
  }
}

function speedup(jacobi: CellResult | undefined, peer: CellResult | undefined): string {
  return jacobi?.status === 'ok' && peer?.status === 'ok' ? `${fmt(peer.medianMs / jacobi.medianMs)}×` : '';
}

function note(row: CaseResult, label: string): string {
  const parts: string[] = [];
  const ratio = row.float64OverFloat32?.[label];
  if (ratio !== undefined) parts.push((row.ratioLabel ?? 'f64 time = {}× f32').replace('{}', fmt(ratio)));
  const losses = Object.entries(row.results).flatMap(([fw, r]) =>
    r.status === 'ok' && r.losses && (fw === label || !fw.startsWith('jacobi'))
      ? [`${fw === label ? 'loss' : fw.replace('tfjs-', '')} ${fmt(r.losses.first)}→${fmt(r.losses.last)}`]
      : [],
  );
  if (losses.length > 0) parts.push(losses.join(', '));
  for (const [fw, r] of Object.entries(row.results)) {
    if (r.status === 'ok' && r.long !== undefined) {
      const { calls, longCallMs } = r.long;
      parts.push(`${fw.replace('tfjs-', '')}: ${calls} timed call${calls === 1 ? '' : 's'} (a call took over ${longCallMs / 1000} s)`);
    }
  }
  const peerNote = Object.values(row.results).find((x) => x.status === 'n/a');
  if (peerNote && peerNote.status === 'n/a') parts.push(peerNote.reason);
  return parts.join('; ');
}

function renderTable(header: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

export function formatReport(report: BenchReport): string {
  const out: string[] = [];
  const jacobis = report.frameworks.filter((f) => f.kind === 'jacobi').map((f) => f.label);
  const peers = report.frameworks.filter((f) => f.kind !== 'jacobi').map((f) => f.label);
  for (const j of jacobis) {
    const header = ['workload', 'size', 'unit', j, ...peers, ...peers.map((p) => `speedup vs ${p.replace('tfjs-', '')}`), 'note'];
    const rows = report.cases.map((row) => [
      `${row.workload} ${row.title}${row.dtype === 'float64' ? ' (f64)' : ''}`,
      row.size,
      row.unit,
      cell(row.results[j]),
      ...peers.map((p) => cell(row.results[p])),
      ...peers.map((p) => speedup(row.results[j], row.results[p])),
      note(row, j),
    ]);
    const numeric = new Set(Array.from({ length: 1 + 2 * peers.length }, (_, i) => 3 + i));
    out.push(`${j} against ${peers.join(', ') || 'no peers'} (${report.mode} mode; speedup = peer time / jacobi time)`);
    out.push(renderTable(header, rows, numeric), '');
  }

  const c = report.ceiling;
  if (c) {
    out.push(
      `WASM SIMD ceiling (f32x4 mul+add, ${c.accumulators} accumulators): ${fmt(c.perCoreGflops)} GFLOP/s per core, ${fmt(c.allCoresGflops)} GFLOP/s on ${c.cores} cores`,
    );
    const matmuls = report.cases.filter((r) => r.unit === 'GFLOP/s' && r.dtype === 'float32');
    for (const fw of report.frameworks) {
      const shares = matmuls.flatMap((r) => {
        const x = r.results[fw.label];
        return x?.status === 'ok' ? [`${r.size} ${fmt((100 * x.value) / c.perCoreGflops)}%`] : [];
      });
      if (shares.length > 0) out.push(`  matmul ${fw.label} as % of the 1-core ceiling: ${shares.join(', ')}`);
    }
    out.push('');
  }

  for (const m of report.memory) {
    const at = (s: { step: number; rssMB: number; heapUsedMB: number; wasmMB: number }) =>
      `step ${s.step}: rss ${fmt(s.rssMB)} MB, heap ${fmt(s.heapUsedMB)} MB, wasm memory ${fmt(s.wasmMB)} MB`;
    const last = m.samples[m.samples.length - 1]!;
    out.push(
      `Memory (${m.framework}, ${m.mode}, ${m.model}, ${m.stepsRun}/${m.stepsRequested} steps, ${fmt(m.msPerStep)} ms/step, heap read ${m.gcBeforeSamples ? 'after gc()' : 'without gc (run node with --expose-gc)'}):`,
    );
    for (const s of m.checkpoints) out.push(`  ${at(s)}`);
    if (m.stoppedByBudget) {
      // NOTE: the requested checkpoints were not reached; a tenth of the steps run stands in.
      const tenth = m.samples
        .filter((s) => s.step > 0)
        .reduce((a, b) => (Math.abs(b.step - last.step / 10) < Math.abs(a.step - last.step / 10) ? b : a), last);
      if (tenth.step !== last.step && !m.checkpoints.includes(tenth)) out.push(`  ${at(tenth)}`);
    }
    if (!m.checkpoints.some((s) => s.step === last.step)) out.push(`  ${at(last)} (last step run; stopped by the ${m.budgetS} s budget)`);
    out.push(`  peak rss ${fmt(m.peakRssMB)} MB`, '');
  }

  if (report.notes.length > 0) out.push('Notes:', ...report.notes.map((n) => `  ${n}`));
  if (report.warnings.length > 0) out.push('Warnings:', ...report.warnings.map((w) => `  ${w}`));
  out.push(`Machine: ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}; ${fmt(report.seconds)} s`);
  return out.join('\n');
}
