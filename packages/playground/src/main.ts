// The page: controls in, a worker that trains, charts and pictures out. Everything the
// end-to-end test reads is in the DOM: #status's data-state and data-accuracy, the canvases,
// the graph's SVG, the download links.
import { drawBoundary } from './boundary-view.js';
import { drawLineChart } from './chart.js';
import { flowchartSvg, parseFlowchart } from './graph-view.js';
import {
  configProblems,
  DATASETS,
  DEFAULT_CONFIGS,
  type DatasetName,
  type EpochStats,
  type FromWorker,
  HIDDEN_ACTIVATIONS,
  type ModelFiles,
  OPTIMIZERS,
  parseWidths,
  type ToWorker,
  type ToyPoints,
  type TrainConfig,
} from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');
const field = <T extends HTMLInputElement | HTMLSelectElement>(name: string) => form.elements.namedItem(name) as T;
const startButton = $<HTMLButtonElement>('start');
const stopButton = $<HTMLButtonElement>('stop');
const status = $('status');
const environment = $('environment');
const lossChart = $<HTMLCanvasElement>('loss-chart');
const accuracyChart = $<HTMLCanvasElement>('accuracy-chart');
const boundaryFigure = $('boundary-figure');
const boundaryCanvas = $<HTMLCanvasElement>('boundary');
const downloads = $('download-links');

const LABELS: Record<DatasetName, string> = {
  iris: 'iris (4 measurements, 3 species)',
  moons: 'two moons (2-D)',
  spirals: 'two spirals (2-D)',
  digits: 'digits (8×8 images, CNN)',
};

function fillSelect(name: string, values: readonly string[], labels?: Record<string, string>): void {
  const select = field<HTMLSelectElement>(name);
  select.replaceChildren(...values.map((v) => new Option(labels?.[v] ?? v, v)));
}
fillSelect('dataset', DATASETS, LABELS);
fillSelect('activation', HIDDEN_ACTIVATIONS);
fillSelect('optimizer', OPTIMIZERS, { sgd: 'SGD', adam: 'Adam' });

/** Puts a configuration's values into the controls. */
function showConfig(config: TrainConfig): void {
  field('dataset').value = config.dataset;
  field('hidden').value = config.hidden.join(', ');
  field('activation').value = config.activation;
  field('optimizer').value = config.optimizer;
  field('lr').value = String(config.lr);
  field('epochs').value = String(config.epochs);
  field('batchSize').value = String(config.batchSize);
  field('seed').value = String(config.seed);
  // The digits CNN's architecture is pnpm digits's; only the dense networks take these two.
  for (const name of ['hidden', 'activation']) field(name).disabled = config.dataset === 'digits';
}

/** The configuration the controls describe, or the problems with it. */
function readConfig(): TrainConfig | string[] {
  const hidden = parseWidths(field('hidden').value);
  if (!hidden) return ['hidden widths must be positive whole numbers, e.g. "16, 8"'];
  const config: TrainConfig = {
    dataset: field('dataset').value as TrainConfig['dataset'],
    hidden,
    activation: field('activation').value as TrainConfig['activation'],
    optimizer: field('optimizer').value as TrainConfig['optimizer'],
    lr: Number(field('lr').value),
    epochs: Number(field('epochs').value),
    batchSize: Number(field('batchSize').value),
    seed: Number(field('seed').value),
  };
  const problems = configProblems(config);
  return problems.length > 0 ? problems : config;
}

showConfig(DEFAULT_CONFIGS.iris);
field('dataset').addEventListener('change', () => showConfig(DEFAULT_CONFIGS[field('dataset').value as DatasetName]));

let history: EpochStats[] = [];
let epochs = 1;
let points: ToyPoints | undefined;
const urls: string[] = [];

function setStatus(state: 'idle' | 'running' | 'done' | 'error', text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

function drawCharts(): void {
  const series = (key: keyof EpochStats) => history.map((s) => s[key]);
  drawLineChart(
    lossChart,
    [
      { name: 'train', color: '#337ab7', values: series('trainLoss') },
      { name: 'test', color: '#f0ad4e', values: series('testLoss') },
    ],
    { title: 'loss (cross-entropy, nats)', epochs },
  );
  drawLineChart(
    accuracyChart,
    [
      { name: 'train', color: '#337ab7', values: series('trainAccuracy') },
      { name: 'test', color: '#f0ad4e', values: series('testAccuracy') },
    ],
    { title: 'accuracy', epochs, yRange: [0, 1] },
  );
}

/** Links to the trained model's files (Blob URLs; the previous run's are released). */
function offerFiles(files: ModelFiles, dataset: DatasetName): void {
  for (const url of urls.splice(0)) URL.revokeObjectURL(url);
  const anchors = (['safetensors', 'onnx'] as const).map((kind) => {
    const url = URL.createObjectURL(new Blob([files[kind] as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    urls.push(url);
    const a = document.createElement('a');
    a.id = `download-${kind}`;
    a.href = url;
    a.download = `${dataset}.${kind}`;
    a.textContent = `${dataset}.${kind} (${(files[kind].length / 1024).toFixed(1)} KiB)`;
    return a;
  });
  downloads.replaceChildren(...anchors.flatMap((a, i) => (i === 0 ? [a] : [' · ', a])));
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (message: ToWorker) => worker.postMessage(message);
let current: TrainConfig | undefined;

worker.onmessage = ({ data }: MessageEvent<FromWorker>) => {
  switch (data.type) {
    case 'ready': {
      environment.dataset.isolated = String(data.crossOriginIsolated);
      environment.dataset.threads = String(data.threads);
      environment.textContent =
        `crossOriginIsolated: ${data.crossOriginIsolated} · backend: ${data.backend} · matmul threads: ${data.threads}` +
        (data.crossOriginIsolated ? '' : ' (serve the page with COOP/COEP headers for threads)');
      startButton.disabled = false;
      setStatus('idle', 'Ready: choose a data set and press Start.');
      break;
    }
    case 'started': {
      current = data.config;
      points = data.points;
      boundaryFigure.hidden = points === undefined;
      setStatus('running', `Training ${data.parameters} parameters on ${data.trainRows} rows (${data.testRows} held out)…`);
      break;
    }
    case 'graph': {
      $('graph-svg').innerHTML = flowchartSvg(parseFlowchart(data.mermaid));
      $('graph-text').textContent = data.mermaid;
      break;
    }
    case 'epoch': {
      history.push(data.stats);
      drawCharts();
      if (data.boundary && points) drawBoundary(boundaryCanvas, data.boundary, points);
      const s = data.stats;
      status.dataset.accuracy = String(s.testAccuracy);
      status.dataset.epoch = String(s.epoch);
      status.textContent = `epoch ${s.epoch}/${epochs}: loss ${s.trainLoss.toFixed(4)}, train accuracy ${s.trainAccuracy.toFixed(3)}, test accuracy ${s.testAccuracy.toFixed(3)}`;
      break;
    }
    case 'done': {
      offerFiles(data.files, current?.dataset ?? 'iris');
      const last = history.at(-1);
      setStatus(
        'done',
        `${data.stopped ? 'Stopped' : 'Done'} after ${history.length} epochs in ${data.seconds.toFixed(2)} s` +
          (last ? `: test accuracy ${last.testAccuracy.toFixed(3)}` : ''),
      );
      startButton.disabled = false;
      stopButton.disabled = true;
      break;
    }
    case 'error': {
      setStatus('error', `Error: ${data.message}`);
      startButton.disabled = false;
      stopButton.disabled = true;
      break;
    }
  }
};
worker.onerror = (event) => setStatus('error', `Worker error: ${event.message}`);

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const config = readConfig();
  if (Array.isArray(config)) {
    setStatus('error', config.join('; '));
    return;
  }
  history = [];
  epochs = config.epochs;
  status.dataset.accuracy = '';
  drawCharts();
  downloads.textContent = 'The model files appear here when training ends.';
  startButton.disabled = true;
  stopButton.disabled = false;
  setStatus('running', 'Starting…');
  send({ type: 'start', config });
});
stopButton.addEventListener('click', () => send({ type: 'stop' }));
drawCharts();
