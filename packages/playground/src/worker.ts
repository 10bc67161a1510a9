// The training worker: sets up the WebAssembly backend (threaded where the page is
// cross-origin isolated), then runs a Trainer epoch by epoch, posting each epoch's statistics
// and yielding between epochs so that a stop message gets in.
import { getBackend, setBackend } from '@jacobi/tensor';
import { createWasmBackend } from '@jacobi/tensor/wasm';
import { type Digits, parseDigits } from '../../examples/src/digits/digits-images.js';
import { type PreparedData, prepareDigits, prepareTabular } from './datasets.js';
import { configProblems, type FromWorker, type ToWorker, type TrainConfig, TOY_DATASETS } from './protocol.js';
import { Trainer } from './trainer.js';

/** What this module uses of a dedicated worker's global scope (the DOM library types `self` as a window). */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  crossOriginIsolated: boolean;
}
const scope = self as unknown as WorkerScope;
const post = (message: FromWorker) => scope.postMessage(message);

/** Cells per side of the decision-boundary picture. */
const BOUNDARY_SIZE = 80;

let stopRequested = false;

async function setUpBackend(): Promise<void> {
  let threads = 1;
  try {
    // Threads need SharedArrayBuffer (cross-origin isolation) and a thread that may block,
    // which a worker is; elsewhere threadsReady() resolves to 1.
    const wasm = createWasmBackend();
    setBackend(wasm);
    threads = await wasm.threadsReady();
  } catch {
    // No WebAssembly SIMD here: the default (the TypeScript kernels) runs.
  }
  post({ type: 'ready', backend: getBackend(), threads, crossOriginIsolated: scope.crossOriginIsolated });
}

// Runs wait for the backend, so that the first one already has its threads.
let running: Promise<void> = setUpBackend();

// The digits file, shipped gzipped with the examples (see packages/examples/data/README.md for
// its source); Vite emits it as an asset of the site. Fetched once, on the first digits run.
const DIGITS_URL = new URL('../../examples/data/digits.csv.gz', import.meta.url);
let digits: Promise<Digits> | undefined;

async function fetchDigits(): Promise<Digits> {
  const response = await fetch(DIGITS_URL);
  if (!response.ok) throw new Error(`fetching the digits file: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  // NOTE: servers differ on a .gz file: some send it as it is, others (Vite's preview, sirv)
  // label it Content-Encoding: gzip, so the browser has already decompressed it. The gzip
  // magic number tells which.
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const text = gzipped
    ? await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text()
    : new TextDecoder().decode(bytes);
  return parseDigits(text, 'digits.csv.gz');
}

async function prepare(config: TrainConfig): Promise<PreparedData> {
  if (config.dataset !== 'digits') return prepareTabular(config);
  digits ??= fetchDigits();
  try {
    return prepareDigits(await digits, config.seed);
  } catch (e) {
    digits = undefined; // a later run fetches again
    throw e;
  }
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function train(config: TrainConfig): Promise<void> {
  const problems = configProblems(config);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const trainer = new Trainer(config, await prepare(config));
  const { points } = trainer.data;
  post({
    type: 'started',
    config,
    parameters: trainer.parameters,
    trainRows: trainer.data.yTrain.length,
    testRows: trainer.data.yTest.length,
    ...(points ? { points } : {}),
  });
  post({ type: 'graph', mermaid: trainer.stepGraph() });
  const started = performance.now();
  // About 100 boundary pictures per run at most: each is a forward pass over the whole grid.
  const every = Math.max(1, Math.ceil(config.epochs / 100));
  const toy = TOY_DATASETS.includes(config.dataset);
  while (trainer.epoch < config.epochs && !stopRequested) {
    const stats = trainer.runEpoch();
    const drawBoundary = toy && (stats.epoch % every === 0 || stats.epoch === config.epochs);
    const boundary = drawBoundary ? trainer.boundary(BOUNDARY_SIZE) : undefined;
    post({ type: 'epoch', stats, ...(boundary ? { boundary } : {}) });
    await nextTask();
  }
  const seconds = (performance.now() - started) / 1000;
  const files = trainer.files();
  // Copied, not transferred: the files are a few kilobytes.
  post({ type: 'done', stopped: stopRequested, files, seconds });
}

scope.onmessage = ({ data }) => {
  if (data.type === 'stop') {
    stopRequested = true;
    return;
  }
  // A new run starts after the current one has stopped.
  stopRequested = true;
  running = running.then(async () => {
    stopRequested = false;
    try {
      await train(data.config);
    } catch (e) {
      post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  });
};
