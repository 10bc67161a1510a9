#!/usr/bin/env node
// Mutation check: does the test/ suite fail when a derivative rule (or jit's lowered replay) is wrong?
//
// Each mutant is one exact string replacement in one file of packages/tensor/src. The script
// never edits the working tree: it copies packages/tensor/src to a temporary folder, applies
// the replacement there, and runs the relevant test files of test/ with a vitest config whose
// '@jacobi/tensor' alias points at the mutated copy. A mutant is *killed* when those tests fail.
// A replacement string that is no longer in the source is reported as "patch not found" and
// fails the run, so the script cannot silently test nothing.
//
//   node scripts/mutation.mjs            all mutants (pnpm test:mutation)
//   node scripts/mutation.mjs sigmoid    only mutants whose name contains "sigmoid"
//
// Exit status: 0 when the unmutated suite passes and every mutant is killed.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SEED = 'test/seed-formulas.test.ts';
const GRAPHS = 'test/random-graphs.test.ts';
const BROADCAST = 'test/broadcasting.test.ts';
const CONVENTIONS = 'test/conventions.test.ts';
const VIEWS = 'test/views.test.ts';
const EMBEDDING = 'test/embedding.test.ts';
const JIT_GRAPHS = 'test/jit-graphs.test.ts';
// One fixed seed for every run, so that the verdicts are the same on every machine and every
// run (PROPERTY_SEED overrides it to explore other cases).
const PROPERTY_SEED = process.env.PROPERTY_SEED ?? '20261201';

/** name, file under packages/tensor/src, the exact text to replace, its replacement, the tests that must catch it. */
const mutants = [
  [
    'matmul VJP missing a transpose (G·B instead of G·Bᵀ)',
    'prims/matmul.ts',
    'bind(matmulPrim, [g, matrixTranspose(inputs[1]!)], undefined)',
    'bind(matmulPrim, [g, inputs[1]!], undefined)',
    [SEED, BROADCAST],
  ],
  [
    'matmul VJP of B missing a transpose (A·G instead of Aᵀ·G)',
    'prims/matmul.ts',
    'bind(matmulPrim, [matrixTranspose(inputs[0]!), g], undefined)',
    'bind(matmulPrim, [inputs[0]!, g], undefined)',
    [SEED, BROADCAST],
  ],
  [
    "σ' written as σ instead of σ(1−σ)",
    'prims/elementwise.ts',
    "unary('sigmoid', (_x, out) => out.mul(out.neg().add(1)))",
    "unary('sigmoid', (_x, out) => out)",
    [SEED],
  ],
  [
    'broadcast VJP that does not sum',
    'prims/layout.ts',
    'vjp: [(g, { inputs }) => sumToShape(g, inputs[0]!.shape)]',
    'vjp: [(g) => g]',
    [SEED, BROADCAST],
  ],
  [
    'tanh JVP with the wrong sign',
    'prims/elementwise.ts',
    '    jvp: [times],',
    "    jvp: [(t, ctx) => times(kernel === 'tanh' ? t.neg() : t, ctx)],",
    [SEED, GRAPHS],
  ],
  [
    "tanh' written as 1 + tanh² (both modes)",
    'prims/elementwise.ts',
    "unary('tanh', (_x, out) => out.mul(out).neg().add(1))",
    "unary('tanh', (_x, out) => out.mul(out).add(1))",
    [SEED],
  ],
  [
    'missing accumulation in the reverse walk (fan-out cotangents overwritten)',
    'autodiff/backprop.ts',
    'previous === undefined ? gi : previous.add(gi)',
    'gi',
    [SEED, GRAPHS],
  ],
  [
    'missing accumulation in backward() (.grad overwritten, not accumulated)',
    'autodiff/imperative.ts',
    'node.grad === null ? ct : node.grad.add(ct)',
    'ct',
    [SEED],
  ],
  [
    'reverse walk in creation order instead of reverse topological order',
    'autodiff/backprop.ts',
    'byId[hi - node.id] = node',
    'byId[node.id - lo] = node',
    [SEED, GRAPHS],
  ],
  [
    'mul partial using the wrong operand (both modes)',
    'prims/elementwise.ts',
    '(t, _x, y) => t.mul(y),\n  (t, x) => t.mul(x),',
    '(t, x) => t.mul(x),\n  (t, x) => t.mul(x),',
    [SEED, GRAPHS],
  ],
  [
    'sub partial of the second operand without the minus sign',
    'prims/elementwise.ts',
    "'sub',\n  (t) => t,\n  (t) => t.neg(),",
    "'sub',\n  (t) => t,\n  (t) => t,",
    [SEED, GRAPHS],
  ],
  [
    'div partial of the denominator with the wrong sign',
    'prims/elementwise.ts',
    '(t, _x, y, out) => t.mul(out).div(y).neg(),',
    '(t, _x, y, out) => t.mul(out).div(y),',
    [GRAPHS],
  ],
  [
    'div JVP of the numerator missing the division (forward mode only)',
    'prims/elementwise.ts',
    'jvp: [rule(dx), rule(dy)]',
    "jvp: [kernel === 'div' ? (t: Tensor) => t : rule(dx), rule(dy)]",
    [GRAPHS],
  ],
  [
    "cos' written as sin instead of −sin",
    'prims/elementwise.ts',
    "unary('cos', (x) => x.sin().neg())",
    "unary('cos', (x) => x.sin())",
    [GRAPHS],
  ],
  ["log' written as x instead of 1/x", 'prims/elementwise.ts', "unary('log', (x) => x.reciprocal())", "unary('log', (x) => x)", [GRAPHS]],
  [
    "sqrt' missing the factor ½",
    'prims/elementwise.ts',
    "unary('sqrt', (_x, out) => out.mul(2).reciprocal())",
    "unary('sqrt', (_x, out) => out.reciprocal())",
    [GRAPHS],
  ],
  [
    'pow VJP of the exponent missing log x',
    'prims/elementwise.ts',
    'x.equal(0).where(0, out.mul(x.log()))',
    'x.equal(0).where(0, out)',
    [GRAPHS],
  ],
  [
    'maximum VJP giving the gradient to the smaller input',
    'prims/elementwise.ts',
    'return x.greater(y).astype(x.dtype).add(x.equal(y).astype(x.dtype).mul(0.5));',
    'return x.less(y).astype(x.dtype).add(x.equal(y).astype(x.dtype).mul(0.5));',
    [GRAPHS, BROADCAST],
  ],
  [
    'maximum VJP giving ties the whole gradient instead of ½',
    'prims/elementwise.ts',
    'x.greater(y).astype(x.dtype).add(x.equal(y).astype(x.dtype).mul(0.5))',
    'x.greater(y).astype(x.dtype).add(x.equal(y).astype(x.dtype))',
    [CONVENTIONS],
  ],
  [
    'where VJP with the branches swapped',
    'prims/elementwise.ts',
    'vjp: [null, (g, { inputs }) => inputs[0]!.where(g, 0), (g, { inputs }) => inputs[0]!.where(0, g)]',
    'vjp: [null, (g, { inputs }) => inputs[0]!.where(0, g), (g, { inputs }) => inputs[0]!.where(g, 0)]',
    [SEED, GRAPHS],
  ],
  [
    'transpose VJP not inverting the permutation',
    'prims/layout.ts',
    'g.transpose(invertPermutation(params.perm))',
    'g.transpose(params.perm)',
    [GRAPHS, VIEWS],
  ],
  [
    'slice JVP ignoring the step (reads a contiguous window)',
    'prims/layout.ts',
    'jvp: [(dx, { params }) => bind(slicePrim, [dx], params)]',
    'jvp: [(dx, { params }) => bind(slicePrim, [dx], { ...params, steps: params.steps.map((s) => Math.sign(s)) })]',
    [GRAPHS, VIEWS],
  ],
  [
    'max VJP not splitting ties (every tied maximum gets the whole cotangent)',
    'prims/reduce.ts',
    'return mask.div(mask.sum(params.axes, true));',
    'return mask;',
    [GRAPHS, CONVENTIONS],
  ],
  [
    'sum JVP dropping keepdims',
    'prims/reduce.ts',
    'jvp: [(dx, { params }) => dx.sum(params.axes, params.keepdims)]',
    'jvp: [(dx, { params }) => dx.sum(params.axes, false)]',
    [GRAPHS],
  ],
  [
    'scatter-add without accumulation (a repeated id keeps only its last cotangent)',
    'backend/js.ts',
    'for (let i = 0; i < inner; i++) out[dst + i]! += g[src + i]!;',
    'for (let i = 0; i < inner; i++) out[dst + i] = g[src + i]!;',
    [EMBEDDING],
  ],
  [
    "take's VJP scattering to the wrong rows (the identity positions)",
    'prims/take.ts',
    'vjp: [(g, { inputs, params }) => bind(untakePrim, [g], { ...params, inputShape: inputs[0]!.shape })],',
    'vjp: [(g, { inputs, params }) => bind(untakePrim, [g], { ...params, indices: params.indices.map((_, i) => i % inputs[0]!.shape[params.axis]!), inputShape: inputs[0]!.shape })],',
    [EMBEDDING],
  ],
  [
    "jit's lowered replay keeping the inputs of the call it recorded (no copy-in)",
    'core/lowered.ts',
    'for (let k = 0; k < copyViews.length; k++) copyViews[k]?.set(sources[k]!._view.data);',
    '',
    [JIT_GRAPHS],
  ],
];

const filter = process.argv[2];
const selected = filter ? mutants.filter(([name]) => name.includes(filter)) : mutants;
const work = mkdtempSync(join(tmpdir(), 'jacobi-mutants-'));
const cleanup = () => rmSync(work, { recursive: true, force: true });
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

/** Runs the given test files against a copy of packages/tensor/src (mutated by `patch`). */
function runTests(label, files, patch) {
  const dir = join(work, label);
  const src = join(dir, 'src');
  cpSync(join(root, 'packages/tensor/src'), src, { recursive: true });
  if (patch) {
    const path = join(src, patch.file);
    const text = readFileSync(path, 'utf8');
    const count = text.split(patch.from).length - 1;
    if (count !== 1) return { status: count === 0 ? 'patch not found' : `patch found ${count} times` };
    writeFileSync(path, text.replace(patch.from, patch.to));
  }
  const config = join(dir, 'vitest.config.mjs');
  writeFileSync(
    config,
    `export default ${JSON.stringify({
      root,
      resolve: { alias: { '@jacobi/tensor': join(src, 'index.ts'), '@jacobi/nn': join(root, 'packages/nn/src/index.ts') } },
      test: { include: files, testTimeout: 60000, bail: 1 },
    })};\n`,
  );
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', config, '--reporter=dot'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', PROPERTY_SEED },
    timeout: 300_000,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return { status: r.status === 0 ? 'passed' : 'failed', seconds, output, signal: r.signal };
}

let exit = 0;
try {
  const allFiles = [SEED, GRAPHS, BROADCAST, CONVENTIONS, VIEWS, EMBEDDING];
  for (const f of allFiles) if (!existsSync(join(root, f))) throw new Error(`missing test file ${f}`);
  console.log('baseline: the unmutated suite must pass');
  const base = runTests('baseline', allFiles, null);
  if (base.status !== 'passed') {
    console.log(base.output);
    throw new Error('the unmutated suite fails; fix that before judging mutants');
  }
  console.log(`  passed in ${base.seconds}s\n`);
  const rows = [];
  selected.forEach(([name, file, from, to, files], i) => {
    const r = runTests(`m${i}`, files, { file, from, to });
    const verdict = r.status === 'failed' ? 'killed' : r.status === 'passed' ? 'SURVIVED' : `ERROR: ${r.status}`;
    rows.push([name, file, verdict, r.seconds ?? '-']);
    console.log(`${verdict.padEnd(9)} ${name}  (${file}, ${files.map((f) => f.replace('test/', '')).join(' ')}, ${r.seconds ?? '-'}s)`);
    if (r.status !== 'failed') {
      exit = 1;
      if (r.status !== 'passed') console.log(`          patch string: ${JSON.stringify(from)}`);
    }
  });
  const killed = rows.filter((r) => r[2] === 'killed').length;
  console.log(`\n| mutant | file | result |\n| --- | --- | --- |`);
  for (const [name, file, verdict] of rows) console.log(`| ${name} | ${file} | ${verdict} |`);
  console.log(`\nmutation score: ${killed}/${rows.length} killed (${((100 * killed) / Math.max(rows.length, 1)).toFixed(0)}%)`);
} catch (e) {
  console.error(String(e?.message ?? e));
  exit = 1;
} finally {
  cleanup();
}
process.exit(exit);
