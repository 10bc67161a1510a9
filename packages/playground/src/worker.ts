// The training worker: sets up the WebAssembly backend (threaded where the page is
// cross-origin isolated), then runs a Trainer epoch by epoch, posting each epoch's statistics
// and yielding between epochs so that a stop message gets in.
import { getBackend, setBackend } from '@jacobi/tensor';
import { createWasmBackend } from '@jacobi/tensor/wasm';
import { prepareTabular } from './datasets.js';
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

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function train(config: TrainConfig): Promise<void> {
  const problems = configProblems(config);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const trainer = new Trainer(config, prepareTabular(config));
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
