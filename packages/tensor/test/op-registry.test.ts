// The registry is the one list of primitives, and every public op is complete: exported,
// a Tensor method, a row of the gradcheck table and documented (TSDoc on the function and on
// the method). What the compiler cannot check (names, runtime exports, comments) is checked here.
import { readFileSync, readdirSync } from 'node:fs';
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
import * as sortPrims from '../src/prims/sort.js';
import * as scanPrims from '../src/prims/scan.js';
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

// Every module of src/ops/, found on disk so that a new one is covered without editing this file.
const OP_MODULES: Record<string, Record<string, unknown>> = Object.fromEntries(
  await Promise.all(
    readdirSync(src('ops'))
      .filter((f) => f.endsWith('.ts'))
      .map(async (f) => [`ops/${f}`, (await import(`../src/ops/${f.replace(/\.ts$/, '.js')}`)) as Record<string, unknown>] as const),
  ),
);

/** Every public op: a function exported by an ops module and by the package. */
const publicOps = Object.entries(OP_MODULES).flatMap(([path, module]) =>
  Object.entries(module)
    .filter(([name, value]) => typeof value === 'function' && (J as Record<string, unknown>)[name] === value)
    .map(([name]) => ({ name, path })),
);

// Ops that are no method of the same name, and why.
const METHOD_EXCEPTIONS = {
  concat: 'takes a list of tensors, so it has no receiver',
  stack: 'takes a list of tensors, so it has no receiver',
  stopGradient: "the method is PyTorch's name, detach()",
  meshgrid: 'takes any number of tensors, so it has no receiver',
  einsum: 'takes the subscripts first, then any number of tensors, so it has no receiver',
  scaledDotProductAttention: "a function of query, key and value, as PyTorch's (torch.nn.functional, no method)",
  // Convolution and pooling: PyTorch has them only as functions (torch.nn.functional), not as methods.
  conv1d: 'a torch.nn.functional function, not a Tensor method in PyTorch',
  conv2d: 'a torch.nn.functional function, not a Tensor method in PyTorch',
  convTranspose2d: 'a torch.nn.functional function, not a Tensor method in PyTorch',
  maxPool1d: 'a torch.nn.functional function, not a Tensor method in PyTorch',
  maxPool2d: 'a torch.nn.functional function, not a Tensor method in PyTorch',
  avgPool1d: 'a torch.nn.functional function, not a Tensor method in PyTorch',
  avgPool2d: 'a torch.nn.functional function, not a Tensor method in PyTorch',
  adaptiveAvgPool2d: 'a torch.nn.functional function, not a Tensor method in PyTorch',
  interpolate: 'a torch.nn.functional function, not a Tensor method in PyTorch',
} as const satisfies Record<string, string>;

// Exported functions that are not Tensor methods, and why. The type below makes a new export
// that is neither a method nor listed here a compile error (tsc -p tsconfig.test.json).
const NOT_METHODS = {
  tensor: 'creates a tensor',
  zeros: 'creates a tensor',
  ones: 'creates a tensor',
  full: 'creates a tensor',
  zerosLike: 'creates a tensor',
  onesLike: 'creates a tensor',
  eye: 'creates a tensor',
  arange: 'creates a tensor',
  rand: 'creates a tensor',
  randn: 'creates a tensor',
  rng: 'creates a generator',
  concat: METHOD_EXCEPTIONS.concat,
  stack: METHOD_EXCEPTIONS.stack,
  stopGradient: METHOD_EXCEPTIONS.stopGradient,
  meshgrid: METHOD_EXCEPTIONS.meshgrid,
  einsum: METHOD_EXCEPTIONS.einsum,
  scaledDotProductAttention: METHOD_EXCEPTIONS.scaledDotProductAttention,
  conv1d: METHOD_EXCEPTIONS.conv1d,
  conv2d: METHOD_EXCEPTIONS.conv2d,
  convTranspose2d: METHOD_EXCEPTIONS.convTranspose2d,
  maxPool1d: METHOD_EXCEPTIONS.maxPool1d,
  maxPool2d: METHOD_EXCEPTIONS.maxPool2d,
  avgPool1d: METHOD_EXCEPTIONS.avgPool1d,
  avgPool2d: METHOD_EXCEPTIONS.avgPool2d,
  adaptiveAvgPool2d: METHOD_EXCEPTIONS.adaptiveAvgPool2d,
  interpolate: METHOD_EXCEPTIONS.interpolate,
  linspace: 'creates a tensor',
  logspace: 'creates a tensor',
  uniform: 'creates a tensor',
  normal: 'creates a tensor',
  bernoulli: 'creates a tensor (of draws with the given probabilities)',
  randint: 'creates a tensor',
  multinomial: 'draws from a distribution',
  broadcastShapes: 'a shape rule, on shapes',
  formatTensor: 'the method is toString()',
  noGrad: 'a context: runs a function',
  tidy: 'a context: runs a function',
  keep: 'marks a tensor for the enclosing tidy scope (tf.keep), not an operation on it',
  isGradEnabled: 'reads the context',
  detectAnomaly: 'a context: runs a function',
  setDetectAnomaly: 'sets the context',
  vjp: 'a transform of functions',
  jvp: 'a transform of functions',
  grad: 'a transform of functions',
  valueAndGrad: 'a transform of functions',
  jacobian: 'a transform of functions',
  hessian: 'a transform of functions',
  vmap: 'a transform of functions',
  jacfwd: 'a transform of functions',
  jacrev: 'a transform of functions',
  jit: 'a transform of functions',
  customOp: 'defines an operation',
  treeFlatten: 'a function of pytrees (nested arrays and objects), not of one tensor',
  treeUnflatten: 'a function of pytrees (nested arrays and objects), not of one tensor',
  treeLeaves: 'a function of pytrees (nested arrays and objects), not of one tensor',
  treeMap: 'a function of pytrees (nested arrays and objects), not of one tensor',
  ravel: 'a function of pytrees (nested arrays and objects), not of one tensor',
  gradients: 'a function of many outputs and inputs (torch.autograd.grad, not a method in PyTorch)',
  gradcheck: 'checks a function',
  toDot: 'renders a graph (of any tensor)',
  toMermaid: 'renders a graph (of any tensor)',
  setBackend: 'configures the library',
  getBackend: 'reads the configuration',
  backendMemoryBytes: 'reads the backend state',
  isConcrete: 'asks where a tensor is traced (as is_concrete in JAX), not an operation on it',
  registerBackend: 'configures the library',
} as const satisfies Record<string, string>;

type ClassExports = { [K in keyof typeof J]: (typeof J)[K] extends abstract new (...args: never[]) => unknown ? K : never }[keyof typeof J];
type FunctionExports = { [K in keyof typeof J]: (typeof J)[K] extends (...args: never[]) => unknown ? K : never }[keyof typeof J];
/** Exported functions with no method and no reason: must be `never`. */
type MissingMethods = Exclude<FunctionExports, ClassExports | keyof J.Tensor | keyof typeof NOT_METHODS>;
// NOTE: the check is this declaration's type: it does not compile while MissingMethods is not never.
export const everyFunctionIsAMethodOrListed: [MissingMethods] extends [never] ? true : MissingMethods = true;

// Ops with no gradcheck row, and why (each is tested elsewhere).
const TABLE_EXCEPTIONS: Record<string, string> = {
  argmax: 'an index, not differentiable (values.test.ts)',
  argmin: 'an index, not differentiable (reductions.test.ts)',
  any: 'values 1/0, not differentiable (reductions.test.ts)',
  all: 'values 1/0, not differentiable (reductions.test.ts)',
  stopGradient: 'finite differences cannot see a stopped gradient (nesting.test.ts)',
  nonzero: 'coordinates, not differentiable (indexing.test.ts)',
  isnan: 'values 1/0, constants to autodiff (predicates.test.ts)',
  isinf: 'values 1/0, constants to autodiff (predicates.test.ts)',
  isfinite: 'values 1/0, constants to autodiff (predicates.test.ts)',
  logicalAnd: 'values 1/0, constants to autodiff (predicates.test.ts)',
  logicalOr: 'values 1/0, constants to autodiff (predicates.test.ts)',
  logicalXor: 'values 1/0, constants to autodiff (predicates.test.ts)',
  logicalNot: 'values 1/0, constants to autodiff (predicates.test.ts)',
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
    const defined = [elementwise, layout, mathPrims, matmulPrims, reducePrims, sortPrims, scanPrims].flatMap((m) =>
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

  it('is a method, or listed with a reason (checked by the compiler; the list holds only exports)', () => {
    expect(Object.keys(NOT_METHODS).filter((name) => typeof (J as Record<string, unknown>)[name] !== 'function')).toEqual([]);
    // (`grad` the transform and `.grad` the accessor only share a name.)
    const isMethod = (name: string) => typeof Object.getOwnPropertyDescriptor(J.Tensor.prototype, name)?.value === 'function';
    expect(Object.keys(NOT_METHODS).filter(isMethod)).toEqual([]);
  });
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
