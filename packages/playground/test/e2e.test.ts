// The playground end to end: Vite builds the site, Vite's preview server serves it with the
// config's COOP/COEP headers, headless Chromium (Debian's, via playwright-core) trains iris in
// the page, and the downloaded model files load back in Node (jacobi, ONNX Runtime) with the
// accuracy the page reported. The screenshot goes to out/playground/playground.png.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { accuracy } from '@jacobi/nn';
import { noGrad, tensor } from '@jacobi/tensor';
import * as ort from 'onnxruntime-node';
import type { Browser, Page } from 'playwright-core';
import { type PreviewServer, build, createServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../../scripts/e2e/browser.mjs';
import { serveFolder } from '../../../scripts/e2e/serve.mjs';
import { prepareTabular } from '../src/datasets.js';
import { loadModelFile, scoresOf } from '../src/model.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const configFile = fileURLToPath(new URL('../vite.config.ts', import.meta.url));
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const screenshot = join(root, 'out', 'playground', 'playground.png');

let outDir = '';
let server: PreviewServer | undefined;
let browser: Browser | undefined;
let page: Page;
const log: string[] = [];

// Skipped only where no Chromium is installed (a developer's machine): CI installs it first.
describe.skipIf(!existsSync(chromium))('the playground in Chromium', () => {
  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'jacobi-playground-'));
    await build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
    browser = await launchBrowser();
    page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1100, height: 1000 } });
    page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    await page.goto(server.resolvedUrls!.local[0]!);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('is cross-origin isolated and runs the WebAssembly backend in the worker', async () => {
    await page.waitForSelector('#environment:not([data-isolated="unknown"])', { timeout: 30_000 });
    const env = await page.$eval('#environment', (e) => ({
      isolated: (e as HTMLElement).dataset.isolated,
      threads: (e as HTMLElement).dataset.threads,
      text: e.textContent,
    }));
    expect(env.isolated, `${env.text}\n${log.join('\n')}`).toBe('true');
    expect(env.text).toContain('backend: wasm');
    // Where the machine has two processors or more, the worker's matmul threads started.
    const processors = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(Number(env.threads)).toBeGreaterThanOrEqual(processors >= 2 ? 2 : 1);
  });

  let reported = 0;
  it('trains iris to test accuracy ≥ 0.9 and draws both charts and the graph', async () => {
    await page.selectOption('select[name="dataset"]', 'iris');
    await page.click('#start');
    await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 60_000 });
    const statusText = await page.textContent('#status');
    expect(await page.getAttribute('#status', 'data-state'), `${statusText}\n${log.join('\n')}`).toBe('done');
    reported = Number(await page.getAttribute('#status', 'data-accuracy'));
    expect(reported).toBeGreaterThanOrEqual(0.9);

    // Pixels of the train series' colour (#337ab7) on each chart: the curves were drawn.
    const curvePixels = await page.evaluate(() =>
      ['loss-chart', 'accuracy-chart'].map((id) => {
        const canvas = document.getElementById(id) as HTMLCanvasElement;
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4)
          if (Math.abs(data[i]! - 0x33) + Math.abs(data[i + 1]! - 0x7a) + Math.abs(data[i + 2]! - 0xb7) < 40) n++;
        return n;
      }),
    );
    expect(curvePixels[0]).toBeGreaterThan(100);
    expect(curvePixels[1]).toBeGreaterThan(100);

    expect(await page.textContent('#graph-text')).toMatch(/^flowchart LR\n/);
    expect(await page.locator('#graph-svg svg g').count()).toBeGreaterThan(10);
    await mkdir(join(root, 'out', 'playground'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
  });

  /** Trains `dataset` with the page's defaults but `epochs`; resolves to the test accuracy the page reports. */
  const train = async (dataset: string, epochs: number): Promise<number> => {
    await page.selectOption('select[name="dataset"]', dataset);
    await page.fill('input[name="epochs"]', String(epochs));
    await page.click('#start');
    await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 60_000 });
    expect(await page.getAttribute('#status', 'data-state'), `${await page.textContent('#status')}\n${log.join('\n')}`).toBe('done');
    return Number(await page.getAttribute('#status', 'data-accuracy'));
  };

  const download = async (id: string): Promise<Uint8Array> => {
    const [file] = await Promise.all([page.waitForEvent('download'), page.click(id)]);
    return new Uint8Array(await readFile(await file.path()));
  };
  const iris = prepareTabular({ dataset: 'iris', seed: 0 });

  it('offers a .safetensors file that loads in Node with the accuracy the page reported', async () => {
    const { model, scaler, saved } = loadModelFile(await download('#download-safetensors'));
    expect(saved.dataset).toBe('iris');
    expect(
      accuracy(
        noGrad(() => scoresOf(model, scaler, iris.xTest)),
        iris.yTest,
      ),
    ).toBe(reported);
  });

  it('offers an .onnx file that ONNX Runtime runs to the same predictions', async () => {
    const { model, scaler } = loadModelFile(await download('#download-safetensors'));
    const session = await ort.InferenceSession.create(await download('#download-onnx'));
    const x = iris.xTest;
    const { output } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data()), [...x.shape]) });
    const onnxScores = tensor(output!.data as Float32Array, { shape: [...output!.dims] });
    const want = noGrad(() => scoresOf(model, scaler, x));
    expect(onnxScores.sub(want).abs().max().item()).toBeLessThan(1e-5 * Math.max(1, want.abs().max().item()));
    expect(Array.from(onnxScores.argmax(-1).data())).toEqual(Array.from(want.argmax(-1).data()));
    expect(accuracy(onnxScores, iris.yTest)).toBe(reported);
  });

  it('draws the decision boundary of two moons, both classes and the points', async () => {
    expect(await train('moons', 20)).toBeGreaterThan(0.8);
    expect(await page.isVisible('#boundary')).toBe(true);
    const colours = await page.evaluate(() => {
      const canvas = document.getElementById('boundary') as HTMLCanvasElement;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      // Reddish and bluish pixels: class 0's and class 1's regions (and points).
      let red = 0;
      let blue = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i]! > data[i + 2]! + 40) red++;
        if (data[i + 2]! > data[i]! + 40) blue++;
      }
      return { red, blue, total: data.length / 4 };
    });
    expect(colours.red).toBeGreaterThan(colours.total / 10);
    expect(colours.blue).toBeGreaterThan(colours.total / 10);
    await page.screenshot({ path: join(root, 'out', 'playground', 'moons.png'), fullPage: true });
  });

  it('stops a run on Stop, and still offers the model trained so far', async () => {
    await page.selectOption('select[name="dataset"]', 'spirals');
    await page.fill('input[name="epochs"]', '5000');
    await page.click('#start');
    await page.waitForFunction(() => Number(document.getElementById('status')?.dataset.epoch) >= 3);
    await page.click('#stop');
    await page.waitForSelector('#status[data-state="done"]', { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(/^Stopped after \d+ epochs/);
    expect(Number(await page.getAttribute('#status', 'data-epoch'))).toBeLessThan(5000);
    expect(await page.getAttribute('#download-safetensors', 'download')).toBe('spirals.safetensors');
  });

  it('trains the digits CNN on the fetched, decompressed data file', async () => {
    expect(await train('digits', 1)).toBeGreaterThan(0.5);
    expect(await page.textContent('#graph-text')).toContain('leaf [16,1,3,3] float32');
  });

  it('works from a static host without COOP/COEP too, on one thread', async () => {
    const plain = await serveFolder(outDir);
    const other = await browser!.newPage();
    try {
      await other.goto(plain.url);
      await other.waitForSelector('#environment:not([data-isolated="unknown"])', { timeout: 30_000 });
      expect(await other.getAttribute('#environment', 'data-isolated')).toBe('false');
      expect(await other.getAttribute('#environment', 'data-threads')).toBe('1');
      await other.fill('input[name="epochs"]', '10');
      await other.click('#start');
      await other.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 60_000 });
      expect(Number(await other.getAttribute('#status', 'data-accuracy'))).toBeGreaterThanOrEqual(0.9);
    } finally {
      await other.close();
      await plain.close();
    }
  });
});

describe('pnpm playground (the dev server)', () => {
  it('sends the COOP/COEP headers and serves the page and its worker', async () => {
    const dev = await createServer({ configFile, logLevel: 'warn', server: { host: '127.0.0.1', port: 0 } });
    try {
      await dev.listen();
      const base = dev.resolvedUrls!.local[0]!;
      for (const path of ['', 'src/worker.ts']) {
        const response = await fetch(`${base}${path}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
        expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      }
      expect(await (await fetch(base)).text()).toContain('<canvas id="loss-chart"');
      // The digits file, outside the page's folder, is reachable at the URL the worker asks for.
      const worker = await (await fetch(`${base}src/worker.ts`)).text();
      const digitsUrl = /new URL\("([^"]*digits\.csv\.gz)"/.exec(worker)?.[1];
      expect(digitsUrl, 'the worker refers to the digits file').toBeDefined();
      expect((await fetch(new URL(digitsUrl!, base))).status).toBe(200);
    } finally {
      await dev.close();
    }
  });
});
