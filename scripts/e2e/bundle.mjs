// Production builds of a page folder, as a user's project would make them: Vite (its defaults:
// minified, tree-shaken) and esbuild (--bundle --minify --format=esm, tree shaking on). The
// bundlers are the workspace's pinned copies; the sources they bundle, and the @jacobi packages
// they resolve, are in the temporary folder outside the workspace.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';

// The page's entry points: main.js, and a worker.js where the page has one (the Vite build finds
// the worker through `new URL('./worker.js', import.meta.url)`; esbuild gets it as an entry).
const entries = (page) =>
  readdirSync(page)
    .filter((f) => f === 'main.js' || f === 'worker.js')
    .map((f) => `${page}/${f}`);

export async function buildWithVite(page, outDir) {
  await viteBuild({
    root: page,
    configFile: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, minify: true },
    worker: { format: 'es' },
  });
}

export async function buildWithEsbuild(page, outDir) {
  mkdirSync(outDir, { recursive: true });
  await esbuild({
    entryPoints: entries(page),
    outdir: outDir,
    bundle: true,
    minify: true,
    format: 'esm',
    treeShaking: true,
    platform: 'browser',
    logLevel: 'warning',
  });
  copyFileSync(`${page}/index.html`, `${outDir}/index.html`);
}
