// The registry is the one list of primitives, and every public op is complete: exported,
// a Tensor method, a row of the gradcheck table and documented (TSDoc on the function and on
// the method). What the compiler cannot check (names, runtime exports, comments) is checked here.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as J from '../src/index.js';
import * as elementwise from '../src/prims/elementwise.js';
import * as layout from '../src/prims/layout.js';
import * as mathPrims from '../src/prims/math.js';
import * as matmulPrims from '../src/prims/matmul.js';
import * as reducePrims from '../src/prims/reduce.js';
import { PRIMITIVES } from '../src/prims/registry.js';
import * as arithmetic from '../src/ops/arithmetic.js';
import * as layoutOps from '../src/ops/layout.js';
import * as mathOps from '../src/ops/math.js';
import * as matmulOps from '../src/ops/matmul.js';
import * as reduceOps from '../src/ops/reduce.js';
import { compositeRows, primitiveRows } from './op-rows.js';

const src = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url));

/** The names of a module's declarations that carry a TSDoc comment (`/** … *\/`). */
function documented(path: string): Set<string> {
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  const names = new Set<string>();
  const visit = (node: ts.Node) => {
    const docs = ts.getJSDocCommentsAndTags(node).filter((d) => ts.isJSDoc(d));
    const name =
      ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isClassDeclaration(node)
        ? node.name?.getText()
        : ts.isVariableStatement(node)
          ? node.declarationList.declarations[0]?.name.getText()
          : undefined;
    if (name !== undefined && docs.length > 0) names.add(name);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return names;
}

const OP_MODULES = {
  'ops/arithmetic.ts': arithmetic,
  'ops/layout.ts': layoutOps,
  'ops/matmul.ts': matmulOps,
  'ops/math.ts': mathOps,
  'ops/reduce.ts': reduceOps,
} as const;

/** Every public op: a function exported by an ops module and by the package. */
const publicOps = Object.entries(OP_MODULES).flatMap(([path, module]) =>
  Object.entries(module)
    .filter(([name, value]) => typeof value === 'function' && (J as Record<string, unknown>)[name] === value)
    .map(([name]) => ({ name, path })),
);

// Ops that are no method of the same name, and why.
const METHOD_EXCEPTIONS: Record<string, string> = {
  concat: 'takes a list of tensors, so it has no receiver',
  stack: 'takes a list of tensors, so it has no receiver',
  stopGradient: "the method is PyTorch's name, detach()",
};

// Ops with no gradcheck row, and why (each is tested elsewhere).
const TABLE_EXCEPTIONS: Record<string, string> = {
  argmax: 'an index, not differentiable (values.test.ts)',
  stopGradient: 'finite differences cannot see a stopped gradient (nesting.test.ts)',
};

describe('the primitive registry', () => {
  it('names each primitive by its key', () => {
    for (const [key, entry] of Object.entries(PRIMITIVES)) {
      const prim = typeof entry === 'function' ? entry(2) : entry;
      expect(prim.name, key).toBe(key);
    }
  });
  it('lists every primitive that prims/ defines', () => {
    const registered = new Set<unknown>(Object.values(PRIMITIVES));
    const defined = [elementwise, layout, mathPrims, matmulPrims, reducePrims].flatMap((m) =>
      Object.entries(m).filter(([name]) => name.endsWith('Prim')),
    );
    expect(defined.length).toBeGreaterThan(20);
    expect(defined.filter(([, p]) => !registered.has(p)).map(([name]) => name)).toEqual([]);
  });
  it("gives each primitive's output shape and dtype before it runs", () => {
    const x = J.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float64' },
    );
    expect(PRIMITIVES.sum.shape([x], { axes: [1], keepdims: false })).toEqual({ shape: [2], dtype: 'float64' });
    expect(PRIMITIVES.transpose.shape([x], { perm: [1, 0] })).toEqual({ shape: [3, 2], dtype: 'float64' });
    expect(
      PRIMITIVES.matmul.shape(
        [
          { shape: [4, 2, 3], dtype: 'float32' },
          { shape: [4, 3, 5], dtype: 'float32' },
        ],
        undefined,
      ),
    ).toEqual({
      shape: [4, 2, 5],
      dtype: 'float32',
    });
    expect(PRIMITIVES.concat(3).shape([x, x, x], { axis: 0 })).toEqual({ shape: [6, 3], dtype: 'float64' });
    expect(PRIMITIVES.cast.shape([x], { dtype: 'float32' })).toEqual({ shape: [2, 3], dtype: 'float32' });
  });
});

describe('every public op', () => {
  const functionDocs = new Map(Object.keys(OP_MODULES).map((path) => [path, documented(src(path))]));
  const methodDocs = documented(src('core/tensor.ts'));
  const inTable = new Set([...Object.values(primitiveRows), ...compositeRows].flatMap((row) => row.ops));

  it('was found', () => {
    expect(publicOps.length).toBeGreaterThan(40);
  });
  it('is a Tensor method with TSDoc (or says why not)', () => {
    const missing = publicOps.filter(({ name }) => !(name in METHOD_EXCEPTIONS) && !(name in J.Tensor.prototype && methodDocs.has(name)));
    expect(missing.map((o) => o.name)).toEqual([]);
  });
  it('has TSDoc on its function', () => {
    const missing = publicOps.filter(({ name, path }) => !functionDocs.get(path)!.has(name));
    expect(missing.map((o) => o.name)).toEqual([]);
  });
  it('is a row of the gradcheck table (or says why not)', () => {
    expect(publicOps.filter(({ name }) => !inTable.has(name) && !(name in TABLE_EXCEPTIONS)).map((o) => o.name)).toEqual([]);
  });
  it('names only real ops in the table', () => {
    const names = new Set(publicOps.map((o) => o.name));
    expect([...inTable].filter((name) => !names.has(name))).toEqual([]);
  });
});
