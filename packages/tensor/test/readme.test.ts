// Every TypeScript example in the README runs, as written, against the built packages.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThan(3);
  });
  blocks.forEach((code, i) => {
    const title = code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('import')) ?? `block ${i}`;
    it(`example ${i + 1}: ${title.slice(0, 60)}`, () => {
      // Types are stripped by the TypeScript compiler; the rest runs as written, as an ES module.
      const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', js], { cwd: root, encoding: 'utf8' });
      // Where a line says what it prints (`console.log(...); // value`), check the value.
      const expected = code
        .split('\n')
        .filter((l) => /^console\.log\(.*\);\s*\/\/ [^(<]/.test(l.trim()))
        .map((l) => l.slice(l.indexOf('//') + 3).split('  (')[0]!.trim());
      const printed = out.trim().split('\n');
      for (const e of expected) expect(printed.some((p) => p.trim() === e), `README promises "${e}", printed:\n${out}`).toBe(true);
    });
  });
});
