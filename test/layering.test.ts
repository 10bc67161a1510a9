// The design's layering, checked over the real import graph (the TypeScript compiler parses
// every import, so comments and strings cannot fool it): kernels know nothing of tensors or
// autodiff, primitives never use the public ops, autodiff and the ops never reach the
// kernels, nn uses only @jacobi/tensor's public entries, and nothing a browser loads imports a
// Node built-in statically (Node APIs are reached only through guarded look-ups such as
// process.getBuiltinModule, or in @jacobi/nn/node).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier a file imports or re-exports (type-only imports included). */
function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

interface Edge {
  readonly from: string;
  readonly to: string;
}

/** The import edges of a package's sources; relative targets as paths under `src/`. */
function edgesOf(pkg: string): Edge[] {
  const src = join(root, 'packages', pkg, 'src');
  return sources(src).flatMap((file) =>
    importsOf(readFileSync(file, 'utf8')).map((spec) => ({
      from: relative(src, file),
      to: spec.startsWith('.') ? relative(src, join(dirname(file), spec)).replace(/\.js$/, '.ts') : spec,
    })),
  );
}

const inFolder = (folder: string) => (path: string) => path.startsWith(`${folder}/`);
const isNodeBuiltin = (spec: string) => spec.startsWith('node:') || ['fs', 'path', 'os', 'worker_threads', 'child_process'].includes(spec);

/** The edges that break a rule "files matching `from` may not import targets matching `to`". */
function violations(edges: readonly Edge[], from: (p: string) => boolean, to: (p: string) => boolean): string[] {
  return edges.filter((e) => from(e.from) && to(e.to)).map((e) => `${e.from} -> ${e.to}`);
}

const tensorEdges = edgesOf('tensor');
const nnEdges = edgesOf('nn');
const onnxEdges = edgesOf('onnx');

describe('layering of @jacobi/tensor', () => {
  it('the graph was read (the checks below are not vacuous)', () => {
    expect(tensorEdges.some((e) => e.from === 'core/trace.ts' && e.to === 'core/tensor.ts')).toBe(true);
    expect(tensorEdges.some((e) => e.from.startsWith('prims/') && e.to === 'backend/registry.ts')).toBe(true);
  });
  it('backend/ imports only backend/ and the leaf modules (dtype, shape, errors, arguments)', () => {
    const leaves = ['dtype.ts', 'shape.ts', 'errors.ts', 'arguments.ts'];
    const allowed = (p: string) => inFolder('backend')(p) || leaves.includes(p);
    expect(
      violations(
        tensorEdges,
        (p) => leaves.includes(p),
        (p) => p.endsWith('.ts') && !leaves.includes(p),
      ),
    ).toEqual([]);
    expect(violations(tensorEdges, inFolder('backend'), (p) => !allowed(p))).toEqual([]);
  });
  it('prims/ never imports ops/ or autodiff/ (rules use Tensor methods)', () => {
    expect(violations(tensorEdges, inFolder('prims'), (p) => inFolder('ops')(p) || inFolder('autodiff')(p))).toEqual([]);
  });
  it('prims/ reach the kernels only through the active backend (registry.ts; backend.ts for types)', () => {
    const allowed = ['backend/registry.ts', 'backend/backend.ts'];
    expect(violations(tensorEdges, inFolder('prims'), (p) => inFolder('backend')(p) && !allowed.includes(p))).toEqual([]);
  });
  it('ops/, autodiff/ and staging/ never reach the kernels (backend/)', () => {
    const above = (p: string) => inFolder('ops')(p) || inFolder('autodiff')(p) || inFolder('staging')(p);
    expect(violations(tensorEdges, above, inFolder('backend'))).toEqual([]);
  });
  it('the engine (core/trace.ts, autodiff/, staging/) never names a primitive (prims/)', () => {
    const engine = (p: string) => p === 'core/trace.ts' || inFolder('autodiff')(p) || inFolder('staging')(p);
    expect(violations(tensorEdges, engine, inFolder('prims'))).toEqual([]);
    expect(tensorEdges.some((e) => e.from === 'staging/jit.ts')).toBe(true);
  });
  it('no module imports a Node built-in statically (the package runs in browsers)', () => {
    expect(violations(tensorEdges, () => true, isNodeBuiltin)).toEqual([]);
  });
  it('has no dependencies outside itself', () => {
    expect(
      violations(
        tensorEdges,
        () => true,
        (p) => !p.endsWith('.ts'),
      ),
    ).toEqual([]);
  });
});

describe('layering of @jacobi/nn', () => {
  it('imports @jacobi/tensor only by its public entries', () => {
    const external = nnEdges.filter((e) => !e.to.endsWith('.ts') && !isNodeBuiltin(e.to));
    expect(external.length).toBeGreaterThan(0);
    expect(external.filter((e) => e.to !== '@jacobi/tensor' && e.to !== '@jacobi/tensor/wasm').map((e) => `${e.from} -> ${e.to}`)).toEqual(
      [],
    );
  });
  it("only the '@jacobi/nn/node' entry's modules import Node built-ins", () => {
    const allowed = ['io/node-files.ts', 'node.ts'];
    const offenders = violations(nnEdges, (p) => !allowed.includes(p), isNodeBuiltin);
    expect(offenders).toEqual([]);
    expect(violations(nnEdges, (p) => p === 'io/node-files.ts', isNodeBuiltin).length).toBeGreaterThan(0);
    // The main entry must not reach the Node-only modules through any path.
    const reachable = new Set<string>(['index.ts']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const e of nnEdges) {
        if (reachable.has(e.from) && e.to.endsWith('.ts') && !reachable.has(e.to)) {
          reachable.add(e.to);
          grew = true;
        }
      }
    }
    expect([...reachable].filter((p) => allowed.includes(p))).toEqual([]);
  });
});

describe('layering of @jacobi/onnx', () => {
  it("imports only @jacobi/tensor's main entry and protobufjs's light build, and no Node built-in (it runs in browsers)", () => {
    const external = onnxEdges.filter((e) => !e.to.endsWith('.ts'));
    expect(external.map((e) => e.to)).toContain('@jacobi/tensor');
    expect(external.filter((e) => e.to !== '@jacobi/tensor' && e.to !== 'protobufjs/light.js').map((e) => `${e.from} -> ${e.to}`)).toEqual(
      [],
    );
  });
});

describe('layering of the playground (packages/playground, a page)', () => {
  // Every module the page and its worker load, through relative imports (the examples' data
  // and model modules included): none may import a Node built-in, and the packages they use
  // are the browser entries of ours.
  const entries = ['main.ts', 'worker.ts'].map((f) => join(root, 'packages', 'playground', 'src', f));
  const loaded = new Set<string>(entries);
  const packages = new Set<string>();
  for (const file of loaded) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) loaded.add(join(dirname(file), spec).replace(/\.js$/, '.ts'));
      else packages.add(`${relative(root, file)} -> ${spec}`);
    }
  }
  it("the graph was read (it reaches the examples' iris data and digits CNN)", () => {
    const files = [...loaded].map((f) => relative(root, f));
    expect(files).toContain('packages/examples/src/iris/iris-data.ts');
    expect(files).toContain('packages/examples/src/digits/digits-model.ts');
  });
  it('loads no Node built-in, and of the packages only the browser entries of @jacobi/tensor, nn and onnx', () => {
    const allowed = ['@jacobi/tensor', '@jacobi/tensor/wasm', '@jacobi/nn', '@jacobi/onnx'];
    expect([...packages].filter((edge) => !allowed.includes(edge.split(' -> ')[1]!))).toEqual([]);
  });
});

describe('the import parser', () => {
  it('sees static imports and re-exports and ignores comments and strings', () => {
    const found = importsOf(`
      import { a } from './a.js';
      export { b } from './b.js';
      import type { C } from './c.js';
      // import { d } from 'node:fs';
      const s = "import('node:os')";
    `);
    expect(found).toEqual(['./a.js', './b.js', './c.js']);
  });
});
