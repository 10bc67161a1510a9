// The built packages in a real browser: headless Chromium loads @jacobi/tensor and @jacobi/nn's
// main entry as ES modules (an import map resolves the package names), differentiates in both
// modes, trains a step, round-trips a model file in memory, and compares the WASM and JS
// kernels. CI installs Chromium (Debian's package) so that this always runs there.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

const page = `<!doctype html><html><body><pre id="out">pending</pre>
<script type="importmap">{ "imports": {
  "@jacobi/tensor": "/packages/tensor/dist/index.js", "@jacobi/nn": "/packages/nn/dist/index.js" } }</script>
<script type="module">
import * as J from '@jacobi/tensor';
import { Dense, SGD, Sequential, decodeModel, encodeModel, halfSquaredError, predict } from '@jacobi/nn';
const out = document.getElementById('out');
try {
  const r = {};
  r.backend = J.getBackend();
  r.grad = J.grad((x) => x.mul(x).sum())(J.tensor([1, 2, 3])).toArray();
  r.jvp = J.jvp((x) => x.sin(), [J.tensor(0)], [J.tensor(1)])[1].item();
  r.hessian = J.hessian((x) => x.pow(3).sum())(J.tensor([1, 2])).toArray();
  r.uniform = J.rng(42).uniform();
  const model = new Sequential(new Dense(2, 4, { activation: 'tanh', rng: J.rng(1) }), new Dense(4, 1, { rng: J.rng(2) }));
  const opt = new SGD(model.parameters(), { lr: 0.1 });
  const x = J.tensor([[0, 1], [1, 0]]), t = J.tensor([[1], [0]]);
  const before = halfSquaredError(model.forward(x), t).item();
  for (let i = 0; i < 20; i++) { opt.zeroGrad(); halfSquaredError(model.forward(x), t).backward(); opt.step(); }
  r.lossFell = halfSquaredError(model.forward(x), t).item() < before;
  const copy = new Sequential(new Dense(2, 4, { activation: 'tanh' }), new Dense(4, 1));
  decodeModel(encodeModel(model), copy);
  r.samePrediction = predict(copy, x).toArray().join() === predict(model, x).toArray().join();
  const a = J.randn([300, 200], { rng: J.rng(3) }), b = J.randn([200, 100], { rng: J.rng(4) });
  const fast = a.matmul(b).tanh();
  J.setBackend('js');
  r.kernelDiff = fast.sub(a.matmul(b).tanh()).abs().max().item();
  out.textContent = JSON.stringify(r);
} catch (e) { out.textContent = 'ERROR ' + (e && e.stack || e); }
</script></body></html>`;

let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || !file.includes('/dist/')) return void res.writeHead(404).end();
    try {
      res
        .writeHead(200, { 'content-type': extname(file) === '.js' ? 'text/javascript' : 'application/octet-stream' })
        .end(await readFile(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

function dumpDom(url: string): Promise<string> {
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=/tmp/jacobi-chromium-${process.pid}`,
    '--virtual-time-budget=10000',
    '--dump-dom',
  ];
  return new Promise((resolve, reject) =>
    execFile(chromium!, [...flags, url], { timeout: 60_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
}

describe('in a browser', () => {
  // Skipped only where no Chromium is installed (a developer's machine): CI installs it first.
  it.skipIf(chromium === undefined)(
    'runs @jacobi/tensor and @jacobi/nn from their builds',
    async () => {
      const dom = await dumpDom(base);
      const text = /<pre id="out">([^<]*)<\/pre>/.exec(dom)?.[1] ?? dom;
      expect(text.startsWith('{'), text).toBe(true);
      const r = JSON.parse(text.replace(/&quot;/g, '"'));
      expect(r.backend).toBe('wasm');
      expect(r.grad).toEqual([2, 4, 6]);
      expect(r.jvp).toBe(1);
      expect(r.hessian).toEqual([
        [6, 0],
        [0, 12],
      ]);
      expect(r.uniform).toBe(0.8624723854573461); // the same number as in Node (values.test.ts)
      expect(r.lossFell).toBe(true);
      expect(r.samePrediction).toBe(true);
      expect(r.kernelDiff).toBeLessThan(1e-5);
    },
    90_000,
  );
});
