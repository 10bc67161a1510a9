// The packages must run in a browser: no module of @jacobi/tensor, and none of @jacobi/nn's
// main entry, may import a Node built-in statically (Node APIs are reached only through
// guarded look-ups such as process.getBuiltinModule, or in @jacobi/nn/node).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const STATIC_NODE_IMPORT = /^[ \t]*(import|export)\b[^;'"\n]*(from\s+)?['"](node:|fs['"]|path['"]|os['"]|worker_threads['"])/m;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('browser safety', () => {
  it('@jacobi/tensor imports no Node built-in', () => {
    const offenders = sources(join(root, 'packages/tensor/src')).filter((f) => STATIC_NODE_IMPORT.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
  it("@jacobi/nn's main entry imports no Node built-in; only its node entry does", () => {
    const files = sources(join(root, 'packages/nn/src'));
    const offenders = files.filter((f) => STATIC_NODE_IMPORT.test(readFileSync(f, 'utf8'))).map((f) => f.slice(root.length));
    const allowed = ['packages/nn/src/io/node-files.ts', 'packages/nn/src/node.ts'];
    expect(offenders.filter((f) => !allowed.includes(f))).toEqual([]);
    expect(offenders).toContain('packages/nn/src/io/node-files.ts');
    expect(readFileSync(join(root, 'packages/nn/src/index.ts'), 'utf8')).not.toMatch(/node-files|\.\/node\.js/);
  });
  it('the check itself recognises a static Node import', () => {
    expect(STATIC_NODE_IMPORT.test("import { readFileSync } from 'node:fs';")).toBe(true);
    expect(STATIC_NODE_IMPORT.test("const wt = process.getBuiltinModule('node:worker_threads');")).toBe(false);
  });
});
