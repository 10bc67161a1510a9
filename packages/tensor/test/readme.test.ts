// Every TypeScript example in the README and the guides (docs/tensor.md, docs/nn.md) runs, as
// written, against the built packages.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const documents = ['README.md', 'docs/tensor.md', 'docs/nn.md'];
const blocks = documents.flatMap((doc) =>
  [...readFileSync(`${root}${doc}`, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => ({ doc, code: m[1]! })),
);

describe('README and guide examples', () => {
  it('every document has examples', () => {
    for (const doc of documents) expect(blocks.filter((b) => b.doc === doc).length, doc).toBeGreaterThan(0);
  });
  blocks.forEach(({ doc, code }, i) => {
    const title = code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('import')) ?? `block ${i}`;
    it(`${doc} example ${i + 1}: ${title.slice(0, 60)}`, () => {
      // Types are stripped by the TypeScript compiler; the rest runs as written, as an ES module.
      const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', js], { cwd: root, encoding: 'utf8' });
      // Where a line says what it prints (`console.log(...); // value`), check the value.
      const expected = code
        .split('\n')
        .filter((l) => /^console\.log\(.*\);\s*\/\/ [^(<]/.test(l.trim()))
        .map((l) =>
          l
            .slice(l.indexOf('//') + 3)
            .split('  (')[0]!
            .trim(),
        );
      const printed = out.trim().split('\n');
      for (const e of expected)
        expect(
          printed.some((p) => p.trim() === e),
          `${doc} promises "${e}", printed:\n${out}`,
        ).toBe(true);
    });
  });
});
