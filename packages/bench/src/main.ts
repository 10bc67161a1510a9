// `pnpm bench`: jacobi against TensorFlow.js, one table, optional JSON (see --help).
import { writeFileSync } from 'node:fs';
import { runBench, type BenchOptions } from './harness.js';
import { formatReport } from './report.js';
import type { PeerName } from './frameworks.js';

const HELP = `Usage: pnpm bench [options]

Runs each workload with jacobi and with TensorFlow.js 4.22 (cpu and wasm backends; with
--peers ...,jaxjs also @jax-js/jax, eagerly and with its jit, on W1-W5) in one process:
warm-up, then repetitions in three rounds in which the frameworks take turns, medians (a cell
whose warm-up call takes over 10 s has that call as its one sample, and the note says so).
Prints one table per jacobi backend with speedup = peer
time / jacobi time, the WASM SIMD ceiling and matmul as a share of it.

Workloads: W1 matmul (square N = 64 … 1024, and [16,128,256]×[256,256]), W2 tanh(a*b+c)
and sum((a-b)^2) over 1e6 elements, W3 the seed's iris network (1000 full-batch SGD steps), W4 an MNIST-size
MLP step (784-256-128-10, batch 128), W5 per-op overhead (10,000 adds of [4] tensors),
W6 float64 matmul and iris, W7 an embedding lookup (4096 rows of a [50000,128] table) and its
scatter-add gradient, W8 float32 kernels with WebAssembly versions (sin and erf over 1e6
elements, cumsum of [1000,1000] along each axis, the embedding gradient of a [1000,128] table),
W9 conv2d of [32,3,32,32] with 16 3x3 filters, padding 1: forward, and forward + both gradients,
W10 vmap against its loop (per-example gradients of a 784-256-10 MLP, batch 128, vmap(grad) and
the loop of grad; the jacobian of a [64] -> [64] function, batched and one pullback per basis vector),
memory (10,000 W4 steps, eager and jit: RSS, heap and WebAssembly memory at 1k and 10k).

Options:
  --quick               every workload once at small sizes (seconds; what CI runs)
  --json FILE           also write every figure, the machine and the command as JSON
  --backend LIST        jacobi backends, comma-separated: wasm (default), js; a backend that
                        setBackend does not accept is skipped with a note
  --peers LIST          peers, comma-separated: cpu, wasm (tfjs backends; the default is cpu,wasm),
                        jaxjs (@jax-js/jax 0.1.25 on its wasm device, eager and jit, W1-W5; opt-in:
                        its W3 and W5 calls take up to minutes at full size), or none
  --only LIST           only these workloads, e.g. W1,W4,memory
  --no-ceiling          skip the SIMD ceiling measurement
  --memory-steps N      steps of the memory workload (default 10000; 200 with --quick)
  --iris-steps N        SGD steps of W3 and W6 (default 1000; 30 with --quick): jax-js's eager
                        W3 runs up to 100 (see below), so --iris-steps 50 compares it
  --memory-budget S     stop the memory workload after S seconds (default 120; 0: no limit)
  --help                this text
`;

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): { opts: Omit<BenchOptions, 'log'>; json: string | null } | null {
  const opts: Omit<BenchOptions, 'log'> = {
    quick: false,
    backends: ['wasm'],
    peers: ['cpu', 'wasm'],
    only: [],
    ceiling: true,
    memoryBudgetS: 120,
  };
  let json: string | null = null;
  const list = (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    const count = (v: string): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`${arg} needs a whole number, got '${v}'`);
      return n;
    };
    switch (arg) {
      case '--help':
      case '-h':
        return null;
      case '--quick':
        opts.quick = true;
        break;
      case '--json':
        json = value();
        break;
      case '--backend':
        opts.backends = list(value());
        break;
      case '--peers': {
        const peers = list(value()).filter((p) => p !== 'none');
        for (const p of peers)
          if (p !== 'cpu' && p !== 'wasm' && p !== 'jaxjs') throw new UsageError(`--peers takes cpu, wasm, jaxjs or none, got '${p}'`);
        opts.peers = peers as PeerName[];
        break;
      }
      case '--only':
        opts.only = list(value()).map((w) => (w.toLowerCase() === 'memory' ? 'memory' : w.toUpperCase()));
        break;
      case '--no-ceiling':
        opts.ceiling = false;
        break;
      case '--memory-steps':
        opts.memorySteps = count(value());
        break;
      case '--iris-steps': {
        const steps = count(value());
        if (steps === 0) throw new UsageError('--iris-steps takes a positive count');
        opts.sizes = { ...opts.sizes, irisSteps: steps };
        break;
      }
      case '--memory-budget': {
        const s = count(value());
        opts.memoryBudgetS = s === 0 ? null : s;
        break;
      }
      default:
        throw new UsageError(`unknown option '${arg}' (see --help)`);
    }
  }
  if (opts.quick && !argv.includes('--memory-budget')) opts.memoryBudgetS = null;
  return { opts, json };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`bench: ${e.message}`);
    process.exitCode = 2;
    return;
  }
  if (parsed === null) {
    process.stdout.write(HELP);
    return;
  }
  const command = ['pnpm bench', ...argv].join(' ');
  const report = await runBench({ ...parsed.opts, log: (line) => console.error(line) }, command);
  console.log(formatReport(report));
  if (parsed.json !== null) {
    writeFileSync(parsed.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`JSON written to ${parsed.json}`);
  }
}

await main();
