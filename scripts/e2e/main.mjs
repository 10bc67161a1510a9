// End-to-end check of the published form: pack @jacobi/tensor and @jacobi/nn, install the tarballs
// (not workspace links) in a temporary folder outside the workspace, then run README examples
// (the root README's first one, the npm page's) in Node, and small pages in headless Chromium,
// built by Vite and by esbuild for production (plus the nn page on Vite's dev server), one of
// them cross-origin isolated with a threaded matmul. Prints a summary and the gzip sizes (also
// written to out/e2e-sizes.json); exits non-zero if any check failed.
// JACOBI_E2E_KEEP=1 keeps the temporary folder (it is kept anyway when a check fails).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { createServer as viteDevServer } from 'vite';
import { packPublished, root } from '../pack.mjs';
import { launchBrowser, pageResult } from './browser.mjs';
import { buildWithEsbuild, buildWithVite } from './bundle.mjs';
import { checkReadmeExample } from './readme.mjs';
import { serveFolder } from './serve.mjs';

const results = [];
async function check(name, run) {
  const start = performance.now();
  try {
    const detail = await run();
    results.push({ name, ok: true, ms: performance.now() - start, detail });
  } catch (e) {
    results.push({ name, ok: false, ms: performance.now() - start, detail: e instanceof Error ? e.message : String(e) });
  }
  const r = results.at(-1);
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${name} (${(r.ms / 1000).toFixed(1)} s)${r.detail ? `: ${r.detail}` : ''}`);
  return r.ok;
}

// What each page must show.
const EXPECT = {
  grad: (r) => assert.deepEqual(r.grad, [2, 4, 6]),
  nn: (r) => {
    assert.equal(r.backend, 'wasm', 'backend');
    assert.ok([r.lossBefore, r.lossAfter, ...r.prediction].every(Number.isFinite), `non-finite values in ${JSON.stringify(r)}`);
    assert.ok(r.lossAfter < r.lossBefore / 10, `loss fell only from ${r.lossBefore} to ${r.lossAfter}`);
    assert.deepEqual(r.prediction.map(Math.round), [0, 1, 1, 0], 'XOR predictions');
  },
  threads: (r) => {
    assert.equal(r.crossOriginIsolated, true, 'crossOriginIsolated');
    assert.ok(r.threads >= 2, `threadsReady() resolved to ${r.threads}`);
    assert.ok(r.multiplyAdds > 2 ** 22, 'the product is above the threading threshold');
    assert.equal(r.differing, 0, `${r.differing} of ${r.count} entries differ from the single-threaded product`);
  },
};
// The line each passing page check prints.
const summarize = {
  grad: (r) => `grad ${JSON.stringify(r.grad)}`,
  nn: (r) => `loss ${r.lossBefore.toFixed(3)} -> ${r.lossAfter.toExponential(2)}, backend ${r.backend}`,
  threads: (r) =>
    `${r.threads} threads, ${r.count} entries (float32, float64) bit-identical, ${r.threadedMs.toFixed(0)} ms vs ${r.singleMs.toFixed(0)} ms on one`,
};

// Opens the page a server serves, checks what it shows, closes the server; returns the summary.
async function pageShowsExpected(browser, page, server) {
  try {
    const result = await pageResult(browser, server.url);
    EXPECT[page](result);
    return summarize[page](result);
  } finally {
    await server.close();
  }
}

const BUNDLERS = { vite: buildWithVite, esbuild: buildWithEsbuild };
const PAGES = ['grad', 'nn', 'threads'];

const gzipOfJs = (dir) =>
  readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.js'))
    .reduce((n, f) => n + gzipSync(readFileSync(`${dir}/${f}`), { level: 9 }).length, 0);

const started = performance.now();
const work = mkdtempSync(`${tmpdir()}/jacobi-e2e-`);
const app = `${work}/app`;
const sizes = {};
let browser;
try {
  const installed = await check('pack and install the tarballs', () => {
    const tarballs = packPublished(`${work}/tarballs`);
    mkdirSync(app);
    writeFileSync(`${app}/package.json`, JSON.stringify({ name: 'jacobi-e2e-app', private: true, type: 'module' }));
    // --offline: the tarballs alone must satisfy every dependency (nn's on tensor included).
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarballs.tensor, tarballs.nn], {
      cwd: app,
      stdio: 'inherit',
    });
    return Object.values(tarballs)
      .map((t) => t.slice(t.lastIndexOf('/') + 1))
      .join(', ');
  });
  if (!installed) throw new Error('nothing to test without the installed packages');

  const examples = [
    ['README.md', '## A first taste'],
    ['packages/tensor/README.md', '## Example'],
    ['packages/nn/README.md', '## Example'],
  ];
  for (const [readme, heading] of examples) {
    await check(`node: ${readme} "${heading.slice(3)}"`, () => {
      const problems = checkReadmeExample(`${root}${readme}`, heading, app);
      assert.ok(problems.length === 0, problems.join('; '));
    });
  }

  cpSync(`${root}scripts/e2e/pages`, `${app}/pages`, { recursive: true });
  browser = await launchBrowser();
  for (const [bundler, build] of Object.entries(BUNDLERS)) {
    for (const page of PAGES) {
      const out = `${work}/built/${bundler}/${page}`;
      const built = await check(`${bundler} build: ${page} page`, async () => {
        await build(`${app}/pages/${page}`, out);
        if (page !== 'threads') (sizes[page] ??= {})[bundler] = gzipOfJs(out);
      });
      if (!built) continue;
      const isolated = page === 'threads';
      await check(`chromium, ${bundler} build: ${page} page${isolated ? ' (cross-origin isolated)' : ''}`, async () =>
        pageShowsExpected(browser, page, await serveFolder(out, { isolated })),
      );
    }
  }

  await check('chromium, vite dev server: nn page', async () => {
    const server = await viteDevServer({
      root: `${app}/pages/nn`,
      configFile: false,
      logLevel: 'warn',
      server: { host: '127.0.0.1', port: 0 },
    });
    await server.listen();
    return pageShowsExpected(browser, 'nn', { url: server.resolvedUrls.local[0], close: () => server.close() });
  });
} finally {
  await browser?.close();
}

const failed = results.filter((r) => !r.ok);
console.log(`\ngzip sizes of the built JavaScript (bytes): ${JSON.stringify(sizes)}`);
mkdirSync(`${root}out`, { recursive: true });
writeFileSync(`${root}out/e2e-sizes.json`, `${JSON.stringify(sizes, null, 2)}\n`);
console.log(
  `e2e: ${results.length - failed.length} of ${results.length} checks passed in ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
for (const r of failed) console.log(`  FAIL ${r.name}: ${r.detail.split('\n')[0]}`);
if (failed.length > 0 || process.env.JACOBI_E2E_KEEP) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
process.exit(failed.length > 0 ? 1 : 0);
